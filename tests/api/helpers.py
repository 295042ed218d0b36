"""What API tests share: a Bearer token for an account, made by the service itself."""

from app.auth.token_models import TokenKind
from app.auth.tokens import issue_token
from app.extensions import db
from tests.factories import NOW


def bearer(user, *, kind: TokenKind = TokenKind.PERSONAL, days: int = 30) -> dict:
    """Headers that authenticate as ``user``. Commits what the test made so far (the
    service opens its own write, as in a request)."""
    db.session.commit()
    _token, secret = issue_token(user, kind=kind, name="test", days=days, now=NOW)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}

"""The scheduler's API housekeeping: kept first responses go after 24 hours, dead tokens
after 30 days; what is still needed stays. Time is passed explicitly."""

from datetime import timedelta

from sqlalchemy import select

from app.api import idempotency
from app.api.models import IdempotencyRecord
from app.auth import tokens
from app.auth.token_models import ApiToken, TokenKind
from tests.factories import NOW, create_user


def test_kept_responses_older_than_a_day_are_purged(db):
    user = create_user()
    for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=23))):
        db.session.add(IdempotencyRecord(user_id=user.id, key=key, fingerprint="f" * 64,
                                         status=201, body="{}", created_dt=NOW - age))
    db.session.commit()

    assert idempotency.purge_old_responses(now=NOW) == 1
    db.session.commit()
    assert db.session.scalars(select(IdempotencyRecord.key)).all() == ["fresh"]


def test_tokens_dead_for_thirty_days_are_purged_live_ones_stay(db):
    user = create_user()
    db.session.commit()
    for name, expires, revoked in (
        ("live", NOW + timedelta(days=5), None),
        ("expired-long-ago", NOW - timedelta(days=31), None),
        ("expired-lately", NOW - timedelta(days=2), None),
        ("revoked-long-ago", NOW + timedelta(days=60), NOW - timedelta(days=31)),
        ("revoked-lately", NOW + timedelta(days=60), NOW - timedelta(days=1)),
    ):
        token, _secret = tokens.issue_token(user, kind=TokenKind.PERSONAL, now=NOW,
                                            name=name, days=90)
        token.expires_dt, token.revoked_dt = expires, revoked
        db.session.commit()

    assert tokens.purge_dead(now=NOW) == 2
    db.session.commit()
    assert sorted(db.session.scalars(select(ApiToken.name)).all()) == [
        "expired-lately", "live", "revoked-lately"]

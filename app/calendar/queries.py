"""Who may see which private feed links."""

from sqlalchemy import select

from app.auth.models import User
from app.directory.models import Expert, ExpertAssistant, Institution
from app.extensions import db


def experts_of(user: User) -> list[Expert]:
    """The experts whose private feed ``user`` may see: themself, or those they assist."""
    assisted = select(ExpertAssistant.expert_id).where(ExpertAssistant.user_id == user.id)
    return db.session.scalars(
        select(Expert).where((Expert.user_id == user.id) | Expert.id.in_(assisted))
        .order_by(Expert.id)
    ).all()


def institution(institution_id: int) -> Institution | None:
    return db.session.get(Institution, institution_id)

"""Login plumbing. The login and registration pages arrive with the booking issue."""

from flask import Flask

from app.auth.models import User
from app.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

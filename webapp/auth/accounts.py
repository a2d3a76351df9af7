"""Adding people: for the admin pages and the command line alike."""
from __future__ import annotations

import secrets

from ..extensions import db
from ..organisation.models import Site
from .models import User


def new_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(email: str, role: str, site: Site | None, name: str | None = None,
                password: str | None = None) -> tuple[User, str]:
    """Add a user with a password (generated unless given); return the user and the password."""
    password = password or new_password()
    user = User(email=User.normalise_email(email), name=name or email.split("@")[0].title(),
                role=role, home_site=site, active=True)
    user.set_password(password)
    db.session.add(user)
    return user, password

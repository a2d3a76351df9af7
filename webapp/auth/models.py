"""People who use the app, and the API tokens that act for them."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..organisation.models import Site

ROLES = ("reporter", "responder", "supervisor", "admin")
ROLE_LABELS = {"reporter": "Reporter", "responder": "Responder", "supervisor": "Supervisor",
               "admin": "Administrator"}
STAFF_ROLES = ("responder", "supervisor", "admin")


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    home_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    home_site: Mapped[Site | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_staff(self) -> bool:
        """Responders, supervisors and admins work incidents; reporters only report."""
        return self.role in STAFF_ROLES

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(db.select(cls).filter_by(email=cls.normalise_email(email)))

    def to_json(self) -> dict:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role}


def hash_token(token: str) -> str:
    """Tokens are random, so one SHA-256 is enough to store them safely (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token for `user`; the secret is returned once and only its hash is kept."""
        secret = "fit_" + secrets.token_urlsafe(32)
        token = cls(name=name, user=user, token_hash=hash_token(secret), prefix=secret[:10])
        db.session.add(token)
        return token, secret

    @classmethod
    def authenticate(cls, secret: str) -> ApiToken | None:
        """The live token with this secret whose owner is active, or None."""
        token = db.session.scalar(db.select(cls).filter_by(token_hash=hash_token(secret)))
        if token is None or token.revoked_at is not None or not token.user.active:
            return None
        return token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = utcnow()


class LoginSession(db.Model):
    """One signed-in browser: its cookie holds a secret whose digest is kept here, so the server can end it
    (logout, a password change, an admin's reset or deactivation, "Log out everywhere") and a copied
    cookie stops working with it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def open(cls, user: User, now: datetime) -> tuple[LoginSession, str]:
        secret = secrets.token_urlsafe(32)
        row = cls(digest=hash_token(secret), user_id=user.id, started_at=now, seen_at=now)
        db.session.add(row)
        return row, secret

    @classmethod
    def find(cls, secret: str) -> LoginSession | None:
        return db.session.scalar(db.select(cls).filter_by(digest=hash_token(secret))) if secret else None

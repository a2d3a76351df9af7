"""Signed-in sessions the server can end. The session cookie (signed by Flask) carries a random secret;
its digest is a LoginSession row, looked up on every request that reads the signed-in user, so:

- logging out ends that session on the server: a copy of its cookie stops working at once;
- changing one's password ends every other session of the person, and "Log out everywhere" all of them;
- an admin's password reset or deactivation ends all of the person's sessions;
- a session lasts PERMANENT_SESSION_LIFETIME from its last use (sliding), and never longer than
  SESSION_ABSOLUTE_HOURS from when it started, however busy.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, current_app, request, session
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from ..database import utcnow
from ..extensions import db
from .models import LoginSession, User

KEY = "sid"
SEEN_EVERY = timedelta(minutes=1)  # last use is written at most once a minute, not on every request


DEVICE_COOKIE = "known_device"
DEVICE_DAYS = 365


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def remember_device(response: Response, user: User) -> Response:
    """A browser someone signed in on keeps a signed note of it: the per-account login limit (what stops
    guessing a password from many addresses) never locks the person out of their own phone."""
    response.set_cookie(DEVICE_COOKIE, _devices().dumps({"user": user.id}), max_age=DEVICE_DAYS * 86400,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")
    return response


def known_device(user: User | None) -> bool:
    """Whether this browser has signed in as `user` before (a note only our secret can sign)."""
    if user is None:
        return False
    try:
        note = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return False
    return isinstance(note, dict) and note.get("user") == user.id


def sign_in(user: User, now: datetime) -> None:
    row, secret = LoginSession.open(user, now)
    db.session.commit()
    session.clear()  # nothing of a session before signing in carries over (session fixation)
    session.permanent = True  # survives closing the phone's browser, for a shift
    session[KEY] = secret
    login_user(user)


def current_session(user_id: int, now: datetime) -> LoginSession | None:
    """The live session this request's cookie names, if it is the user's; None ends the request's sign-in."""
    row = LoginSession.find(session.get(KEY, ""))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return None
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if now - row.started_at > absolute or now - row.seen_at > current_app.permanent_session_lifetime:
        row.ended_at = now
        db.session.commit()
        return None
    if now - row.seen_at > SEEN_EVERY:
        row.seen_at = now
        db.session.commit()
    return row


def sign_out(user: User, now: datetime) -> None:
    """End this browser's session on the server, then forget it here."""
    row = current_session(user.id, now)
    if row is not None:
        row.ended_at = now
        db.session.commit()
    logout_user()
    session.pop(KEY, None)


def end_sessions(user: User, now: datetime, keep: LoginSession | None = None) -> int:
    """End every live session of the person but `keep`; returns how many were ended."""
    statement = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    if keep is not None:
        statement = statement.where(LoginSession.id != keep.id)
    return db.session.execute(statement.values(ended_at=now).execution_options(synchronize_session=False)).rowcount


def this_session(user: User) -> LoginSession | None:
    return current_session(user.id, utcnow())

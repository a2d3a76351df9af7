"""Signed-in sessions end when they should (issue 13): logout ends that session on the server, a password
change every other one, "Log out everywhere" all of them, an admin's reset or deactivation all of them,
and no session outlives its sliding or absolute limit."""
from __future__ import annotations

from datetime import timedelta

from helpers import PASSWORD

from webapp.auth.models import LoginSession
from webapp.database import utcnow
from webapp.extensions import db


def signed_in(app, email: str):
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def works(client) -> bool:
    return client.get("/account/password").status_code == 200


def copy_of(app, client):
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    return stolen


def test_logging_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(app, demo):
    phone = signed_in(app, "responder@test.example")
    stolen = copy_of(app, phone)
    assert works(stolen)
    assert phone.post("/logout").status_code == 302
    assert not works(phone) and not works(stolen)
    assert stolen.get("/account/password").headers["Location"].startswith("/login")


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, demo):
    phone, tablet = signed_in(app, "supervisor@test.example"), signed_in(app, "supervisor@test.example")
    changed = phone.post("/account/password", data={"current": PASSWORD, "new": "a much longer passphrase",
                                                    "confirm": "a much longer passphrase"}, follow_redirects=True)
    assert "Your 1 other signed-in session ended" in changed.get_data(as_text=True)
    assert works(phone) and not works(tablet)


def test_log_out_everywhere_ends_every_session_this_one_too(app, demo):
    phone, tablet = signed_in(app, "reporter@test.example"), signed_in(app, "reporter@test.example")
    page = phone.get("/account/password").get_data(as_text=True)
    assert "Log out everywhere" in page
    assert phone.post("/account/sessions/end").status_code == 303
    assert not works(phone) and not works(tablet)
    assert works(signed_in(app, "reporter@test.example"))  # signing in again works


def test_an_admin_reset_or_deactivation_ends_the_persons_sessions(app, demo, as_user):
    phone = signed_in(app, "responder@test.example")
    as_user("admin").post(f"/admin/users/{demo['responder'].id}/reset-password")
    assert not works(phone)
    db.session.expire_all()
    ended = db.session.scalars(db.select(LoginSession).filter_by(user_id=demo["responder"].id)).all()
    assert ended and all(s.ended_at is not None for s in ended)
    tablet = signed_in(app, "reporter@test.example")
    as_user("admin").post(f"/admin/users/{demo['reporter'].id}", data={"active": "0"})
    assert not works(tablet)
    assert db.session.scalar(db.select(db.func.count()).select_from(LoginSession).where(
        LoginSession.user_id == demo["reporter"].id, LoginSession.ended_at.is_(None))) == 0


def test_no_session_outlives_its_sliding_or_absolute_limit(app, demo):
    busy, idle = signed_in(app, "supervisor@test.example"), signed_in(app, "admin@test.example")
    now = utcnow()
    rows = {s.user_id: s for s in db.session.scalars(db.select(LoginSession))}
    # in use every hour, but signed in eight days ago: past the absolute limit (7 days)
    rows[demo["supervisor"].id].started_at = now - timedelta(days=8)
    rows[demo["supervisor"].id].seen_at = now - timedelta(minutes=30)
    rows[demo["admin"].id].seen_at = now - timedelta(hours=13)  # unused for longer than the sliding 12 h
    db.session.commit()
    assert not works(busy) and not works(idle)

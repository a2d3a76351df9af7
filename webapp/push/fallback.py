"""Email fallback: a page that no phone confirmed in time goes by email, so nobody is silently missed.

A page to a person with phones is one push per phone, sharing a `page_key`. When none of them has
reported `delivered` within PUSH_FALLBACK_SECONDS (or every one has failed outright, say the
subscription was gone), the page is queued again as email under the same page key, once. Nothing is
emailed for an incident that has since been acknowledged or closed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..database import claim_rows
from ..escalation.models import Notification
from ..extensions import db
from ..incidents.models import Incident


def fall_back(now: datetime, limit: int = 50) -> int:
    """Queue email for unconfirmed pushes; return how many pages went to email."""
    cutoff = now - timedelta(seconds=current_app.config["PUSH_FALLBACK_SECONDS"])
    rows = db.session.scalars(claim_rows(
        db.select(Notification).where(Notification.channel == "push", Notification.incident_id.is_not(None),
                                      Notification.fallback_at.is_(None))
        .where(or_(Notification.state == "failed", Notification.created_at <= cutoff))
        .order_by(Notification.page_key, Notification.id).limit(limit))).all()
    emailed = 0
    for page_key in dict.fromkeys(n.page_key for n in rows):
        siblings = list(db.session.scalars(db.select(Notification).where(
            Notification.page_key == page_key, Notification.channel == "push")))
        if any(n.delivered_at for n in siblings):
            decided, sent = True, False  # a phone has it: no email needed
        elif all(n.state == "failed" or n.created_at <= cutoff for n in siblings):
            decided, sent = True, _email(siblings[0], now)
        else:
            decided, sent = False, False  # another phone may still confirm it
        if decided:
            for n in siblings:
                n.fallback_at = now
        try:
            db.session.commit()  # one page at a time, so a clash with another worker costs one page
            emailed += sent
        except IntegrityError:  # another worker queued this email first: theirs stands
            db.session.rollback()
    db.session.commit()
    return emailed


def _email(page: Notification, now: datetime) -> bool:
    incident = db.session.get(Incident, page.incident_id)
    user = db.session.get(User, page.user_id)
    if not current_app.config.get("MAIL_SERVER"):
        incident.record("escalation_warning", f"No phone confirmed the page to {user.name}, and no mail server "
                        "is configured for the email fallback", None, page=page.page_key)
        return False
    if incident.acknowledged_at is not None or not incident.is_open or not user.active:
        return False
    key = f"{page.page_key}:email"
    if db.session.scalar(db.select(Notification.id).filter_by(key=key)) is not None:
        return False
    db.session.add(Notification(key=key, page_key=page.page_key, incident_id=page.incident_id, user_id=user.id,
                                step=page.step, channel="email", next_attempt_at=now, created_at=now))
    seconds = current_app.config["PUSH_FALLBACK_SECONDS"]
    incident.record("page", f"Paged {user.name} by email: no phone confirmed the alert within {seconds} s", None,
                    users=[user.id], fallback=True)
    return True

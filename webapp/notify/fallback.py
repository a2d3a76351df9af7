"""Email fallback: a message that no phone confirmed in time goes by email, so nobody is silently missed.

A message to a person with phones is one push per phone, sharing a group key. When none of them has
reported `delivered` within PUSH_FALLBACK_SECONDS, it is queued again as email under the same group,
once. It goes at once when nothing on those phones can confirm it any more (every subscription gone
or turned off); a push service that refused it (a 4xx) leaves the phone failing but waits for the
usual time. The timeline says which happened. Nothing is emailed about a closed incident, nor a page
about one that has since been acknowledged.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError

from ..database import claim_rows
from ..extensions import db
from ..incidents.models import Incident
from .models import CHANNELS, Message, PushSubscription
from .outbox import queue
from .routes import Route, mail_enabled, still_wanted


def window() -> timedelta:
    return timedelta(seconds=current_app.config["PUSH_FALLBACK_SECONDS"])


def _undecided() -> tuple:
    """Pushes to a person, about an incident, whose fallback is not decided yet."""
    return (Message.channel == "push", Message.incident_id.is_not(None), Message.user_id.is_not(None),
            Message.fallback_at.is_(None))


def _beyond_reach_sql():
    turned_off = db.select(PushSubscription.id).where(PushSubscription.disabled_at.is_not(None))
    return and_(Message.state == "failed",
                or_(Message.subscription_id.is_(None), Message.subscription_id.in_(turned_off)))


def _beyond_reach(push: Message) -> bool:
    """Nothing on this phone can confirm it any more: it failed and its subscription is gone or off."""
    if push.state != "failed":
        return False
    subscription = db.session.get(PushSubscription, push.subscription_id) if push.subscription_id else None
    return subscription is None or subscription.disabled_at is not None


def _why(pushes: list[Message], seconds: int) -> str:
    failed = [p for p in pushes if p.state == "failed"]
    if not failed:
        return f"no phone confirmed the alert within {seconds} s"
    reasons = "; ".join(dict.fromkeys((p.last_error or "failed").removeprefix("push: ") for p in failed))
    unconfirmed = len(pushes) - len(failed)
    rest = f", and {unconfirmed} other phone(s) did not confirm it within {seconds} s" if unconfirmed else ""
    return f"the alert did not reach {'their phone' if len(failed) == 1 else 'their phones'} ({reasons}){rest}"


def fall_back(now: datetime, limit: int = 50) -> int:
    """Queue email for unconfirmed pushes; return how many messages went to email."""
    cutoff = now - window()
    rows = db.session.scalars(claim_rows(
        db.select(Message).where(*_undecided(), or_(Message.created_at <= cutoff, _beyond_reach_sql()))
        .order_by(Message.created_at, Message.id).limit(limit))).all()
    emailed = 0
    for group in dict.fromkeys(row.group_key for row in rows):
        pushes = list(db.session.scalars(db.select(Message).where(Message.group_key == group,
                                                                  Message.channel == "push")))
        if any(p.delivered_at for p in pushes):
            sent = False  # a phone has it: no email needed
        elif all(p.created_at <= cutoff or _beyond_reach(p) for p in pushes):
            sent = _email(pushes[0], _why(pushes, int(window().total_seconds())), now)
        else:
            continue  # another phone may still confirm it
        for push in pushes:
            push.fallback_at = now
        try:
            db.session.commit()  # one message at a time, so a clash with another worker costs one
            emailed += sent
        except IntegrityError:  # another worker queued this email first: theirs stands
            db.session.rollback()
    db.session.commit()
    return emailed


def _email(push: Message, why: str, now: datetime) -> bool:
    incident = db.session.get(Incident, push.incident_id)
    user = push.user
    if not still_wanted(push.kind, incident, user):
        return False
    if not mail_enabled():
        incident.record("escalation_warning", f"The alert to {user.name} did not reach a phone ({why}), and no "
                        "mail server is configured for the email fallback", None, page=push.group_key)
        return False
    added = queue(push.kind, push.occasion, now, user=user, incident_id=push.incident_id, step=push.step,
                  about=push.about, routes=[Route("email")])
    if added:
        incident.record("page", f"Paged {user.name} by email: {why}", None, users=[user.id], fallback=True,
                        channel=CHANNELS["email"])
    return bool(added)


def next_fallback(now: datetime) -> datetime | None:
    """When the fallback of some message is next decided: when every push of its group is out of
    reach or at the end of its window, whichever comes for each push; the soonest group."""
    pushes = db.session.execute(
        db.select(Message.group_key, Message.created_at, _beyond_reach_sql())
        .where(*_undecided(), Message.delivered_at.is_(None))).all()
    groups: dict[str, datetime] = {}
    for group, created, gone in pushes:
        moment = now if gone else created + window()
        groups[group] = max(groups.get(group, moment), moment)
    return min(groups.values(), default=None)

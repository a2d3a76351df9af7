"""The outbox: queue a message once, claim due messages with a lease, send each on its own, record
what happened.

Queueing builds the message's idempotency key here and nowhere else, so running a feature's step twice
never sends twice. A worker claims due messages in a short transaction (rows locked with SKIP LOCKED
on PostgreSQL): each becomes `sending` with a lease of PAGE_LEASE_SECONDS, and a message whose worker
died is taken over when its lease ends, so delivery is at least once; every message carries its own id
(the Message-ID of an email, `page` in a push) so the receiver shows a repeat only once.

Whatever goes wrong with one message (a refused key, a library's exception, a timeout) fails that
message alone: it is recorded with its error, retried with backoff (15 s doubling, or as long as the
peer asked), failed for good after MAX_ATTEMPTS, and the rest of the batch goes on at once.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, or_

from ..auth.models import User
from ..database import claim_rows
from ..extensions import db
from ..incidents.models import Incident
from . import email, inapp, push
from .errors import PermanentFailure, SendFailed
from .models import KINDS, Message
from .render import AUDIENCE_WORDS
from .routes import Route, routes_for

MAX_ATTEMPTS = 8
SENDERS = {"push": push.send, "email": email.send, "app": inapp.send}


def lease() -> timedelta:
    """How long a claimed message may stay `sending` before another worker takes it over."""
    return timedelta(seconds=current_app.config["PAGE_LEASE_SECONDS"])


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** (attempts - 1), 30 * 60))


def recipient_key(user: User | None, address: str | None) -> str:
    if user is not None:
        return f"u{user.id}"
    return "a" + hashlib.sha256((address or "").lower().encode()).hexdigest()[:16]


def message_keys(kind: str, occasion: str, recipient: str, route: Route) -> tuple[str, str]:
    """(group key, key): the message to this recipient, and its copy on this route. The one place
    keys are made: the same kind, occasion, recipient and route is the same message."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    group = f"{kind}:{occasion}:{recipient}"
    return group, f"{group}:{route.channel}{route.subscription_id or ''}"


def queue(kind: str, occasion: str, now: datetime, *, user: User | None = None, address: str | None = None,
          incident_id: int | None = None, step: int | None = None, about: str | None = None,
          details: dict | None = None, routes: list[Route] | None = None) -> int:
    """Put one message to one recipient in the outbox, once per route (a key that exists is left
    alone); return how many rows were added. A user is reached by their routes (routes_for); an
    address (a stakeholder) by email. `occasion` is the feature's name for what happened ("e3:s1":
    escalation 3, step 1); `about` what a reminder says; `details` what a stakeholder update says."""
    if (user is None) == (address is None):
        raise ValueError("a message goes to a user or to an address")
    if routes is None:
        routes = routes_for(user) if user is not None else [Route("email")]
    recipient = recipient_key(user, address)
    added = 0
    for route in routes:
        group, key = message_keys(kind, occasion, recipient, route)
        if db.session.scalar(db.select(Message.id).filter_by(key=key)) is None:
            db.session.add(Message(key=key, group_key=group, kind=kind, occasion=occasion, incident_id=incident_id,
                                   user_id=user.id if user else None, address=address, step=step, about=about,
                                   details=details, channel=route.channel, subscription_id=route.subscription_id,
                                   next_attempt_at=now, created_at=now))
            added += 1
    return added


def claim(now: datetime, limit: int = 20) -> list[int]:
    """Take due messages (`pending` and due, or `sending` whose worker died: its lease ran out) for this
    worker: each becomes `sending` with its lease starting now. One that has already been claimed
    MAX_ATTEMPTS times fails instead (a message that kills every worker that sends it). Committed."""
    rows = db.session.scalars(claim_rows(
        db.select(Message)
        .where(or_((Message.state == "pending") & (Message.next_attempt_at <= now),
                   (Message.state == "sending") & (Message.next_attempt_at <= now - lease())))
        .order_by(Message.next_attempt_at, Message.id).limit(limit))).all()
    claimed = []
    for row in rows:
        if row.state == "sending" and row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            row.last_error = f"{row.channel}: the worker stopped while sending it, {row.attempts} times"
            _say_it_failed(row)
            continue
        row.state, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now
        claimed.append(row.id)
    db.session.commit()
    return claimed


def _say_it_failed(message: Message) -> None:
    """A page that failed for good goes on the incident's timeline: nobody is silently missed."""
    if message.incident_id is None or message.channel == "app":
        return
    incident = db.session.get(Incident, message.incident_id)
    if message.user_id is None:
        audience = AUDIENCE_WORDS.get((message.details or {}).get("audience"), "status")
        incident.record("update_warning", f"The {audience} update could not be emailed to {message.address}: "
                        f"{message.last_error}", None, message=message.id)
        return
    how = "phone" if message.channel == "push" else "email"
    then = " (email follows if no other phone has it)" if how == "phone" else ""
    incident.record("escalation_warning", f"Alert to {message.recipient} by {how} failed: "
                    f"{message.last_error}{then}", None, page=message.group_key)


def _record_failure(message: Message, failure: SendFailed, now: datetime) -> None:
    message.last_error = str(failure)[:500]
    if isinstance(failure, PermanentFailure) or message.attempts >= MAX_ATTEMPTS:
        message.state = "failed"
        _say_it_failed(message)
    else:
        wait = max(backoff(message.attempts), failure.retry_after or timedelta(0))
        message.state, message.next_attempt_at = "pending", now + wait


def deliver(message_id: int, now: datetime) -> str:
    """Send one claimed message and record the outcome; returns its new state. Any exception a sender
    raises (not only SendFailed) is this message's failure, retried with backoff."""
    message = db.session.get(Message, message_id)
    try:
        SENDERS[message.channel](message, now)
    except SendFailed as failure:
        _record_failure(message, failure, now)
    except Exception as exc:  # noqa: BLE001  a library's surprise fails this message, not the batch
        db.session.rollback()  # the sender may have left the session half-changed
        message = db.session.get(Message, message_id)
        _record_failure(message, SendFailed(f"{message.channel}: {type(exc).__name__}: {exc}"), now)
    else:
        # The phone may already have reported it delivered (a fast push service): never step back from that.
        db.session.execute(db.update(Message).where(Message.id == message_id).values(
            sent_at=db.func.coalesce(Message.sent_at, now), last_error=None,
            state=case((Message.state == "sending", "sent"), else_=Message.state)))
    db.session.commit()
    return db.session.scalar(db.select(Message.state).where(Message.id == message_id))


def _fail_alone(message_id: int, now: datetime, exc: Exception) -> None:
    """Recording the outcome itself failed (a database error): try once more in a fresh transaction,
    so the message is retried later instead of holding its lease."""
    db.session.rollback()
    try:
        message = db.session.get(Message, message_id)
        _record_failure(message, SendFailed(f"{message.channel}: {type(exc).__name__}: {exc}"), now)
        db.session.commit()
    except Exception:  # noqa: BLE001  the lease brings it back once the database answers again
        db.session.rollback()


def deliver_due(now: datetime, batch: int = 20, most: int = 1000) -> int:
    """Claim and send due messages, a batch at a time, until none is due (or `most` were tried, so the
    worker still beats its heartbeat in a flood); return how many were attempted."""
    attempted = 0
    while attempted < most:
        ids = claim(now, batch)
        for message_id in ids:
            try:
                deliver(message_id, now)
            except Exception as exc:  # noqa: BLE001
                _fail_alone(message_id, now, exc)
        attempted += len(ids)
        if len(ids) < batch:
            break
    return attempted


def next_delivery(now: datetime) -> datetime | None:
    """When a message next falls due: a retry, or a lease that runs out."""
    pending = db.session.scalar(db.select(db.func.min(Message.next_attempt_at)).where(Message.state == "pending"))
    leased = db.session.scalar(db.select(db.func.min(Message.next_attempt_at)).where(Message.state == "sending"))
    moments = [m for m in (pending, leased + lease() if leased else None) if m is not None]
    return min(moments) if moments else None

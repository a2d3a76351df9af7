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
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import case, or_, tuple_
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..database import claim_rows
from ..extensions import db
from ..incidents.models import Incident
from . import email, push
from .errors import PermanentFailure, Result, SendFailed, Transmit
from .models import KINDS, Message, PushSubscription
from .render import AUDIENCE_WORDS
from .routes import Route, mail_enabled, routes_for

MAX_ATTEMPTS = 8
SENDERS = {"push": push.prepare, "email": email.prepare}  # an in-app alert is shown, never sent


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
    return queue_many(kind, occasion, now, [(user, address, routes)], incident_id=incident_id, step=step,
                      about=about, details=details)


def queue_many(kind: str, occasion: str, now: datetime, recipients: list[tuple[User | None, str | None, list[Route]]],
               *, incident_id: int | None = None, step: int | None = None, about: str | None = None,
               details: dict | None = None) -> int:
    """The same message to many recipients (user or address, and routes, each), with one look for keys
    already queued: a level that pages a thousand people costs one query, not a thousand."""
    rows = {}
    for user, address, routes in recipients:
        recipient = recipient_key(user, address)
        for route in routes:
            group, key = message_keys(kind, occasion, recipient, route)
            rows[key] = (group, user, address, route)
    there = set(db.session.scalars(db.select(Message.key).where(Message.key.in_(list(rows)))))
    added = 0
    for key, (group, user, address, route) in rows.items():
        if key in there:
            continue
        # The in-app alert is the list itself: it is there as soon as the page is (nothing to send).
        shown_now = route.channel == "app"
        db.session.add(Message(key=key, group_key=group, kind=kind, occasion=occasion, incident_id=incident_id,
                               user_id=user.id if user else None, address=address, step=step, about=about,
                               details=details, channel=route.channel, subscription_id=route.subscription_id,
                               state="sent" if shown_now else "pending", sent_at=now if shown_now else None,
                               next_attempt_at=now, created_at=now))
        added += 1
    return added


def claim(now: datetime, limit: int = 20) -> list[tuple[int, int]]:
    """Take due messages (`pending` and due, or `sending` whose worker died: its lease ran out) for this
    worker: each becomes `sending` with its lease starting now; returns (id, attempts) of each, the
    attempts being this claim's fence (see renew_lease). One that has already been claimed
    MAX_ATTEMPTS times fails instead (a message that kills every worker that sends it). Committed."""
    rows = db.session.scalars(claim_rows(
        db.select(Message)
        .where(or_((Message.state == "pending") & (Message.next_attempt_at <= now),
                   (Message.state == "sending") & (Message.next_attempt_at <= now - lease())))
        .order_by(Message.next_attempt_at, Message.id).limit(limit))).all()
    claimed, worn_out = [], []
    for row in rows:
        if row.state == "sending" and row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            row.last_error = f"{row.channel}: the worker stopped while sending it, {row.attempts} times"
            worn_out.append(row.id)
            continue
        row.state, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now
        claimed.append((row.id, row.attempts))
    db.session.commit()
    for message_id in worn_out:  # said on the timeline each on its own: one bad row holds up no claim
        try:
            _say_it_failed(db.session.get(Message, message_id))
            db.session.commit()
        except Exception:  # noqa: BLE001  the message is failed either way; only the note is lost
            db.session.rollback()
    return claimed


def renew_leases(claimed: list[tuple[int, int]], now: datetime) -> list[int]:
    """Just before sending: restart each claim's lease, unless another worker has taken the message over
    meanwhile (its lease ran out, so its attempts moved on): then this worker must not send it. Returns
    the ids still this worker's. Committed."""
    if not claimed:
        return []
    mine = db.session.scalars(
        db.update(Message).where(tuple_(Message.id, Message.attempts).in_(claimed), Message.state == "sending")
        .values(next_attempt_at=now).returning(Message.id).execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted(mine)


def _fallback_follows(message: Message) -> bool:
    """Whether an email will follow a push that failed: the same checks the fallback makes."""
    incident = db.session.get(Incident, message.incident_id)
    return (mail_enabled() and incident.is_open and message.user.active
            and not (message.kind == "page" and incident.acknowledged_at))


def _say_it_failed(message: Message) -> None:
    """A message that failed for good goes on the incident's timeline: nobody is silently missed."""
    if message.incident_id is None or message.channel == "app":
        return
    incident = db.session.get(Incident, message.incident_id)
    if message.user_id is None:
        audience = AUDIENCE_WORDS.get((message.details or {}).get("audience"), "status")
        incident.record("update_warning", f"The {audience} update could not be emailed to {message.address}: "
                        f"{message.last_error}", None, message=message.id)
        return
    how = "phone" if message.channel == "push" else "email"
    then = " (email follows if no other phone has it)" if how == "phone" and _fallback_follows(message) else ""
    incident.record("escalation_warning", f"Alert to {message.recipient} by {how} failed: "
                    f"{message.last_error}{then}", None, page=message.group_key)


CONFIRMED = ("delivered", "shown")  # the phone said it has it: no failure may step back from that


def _record_failure(message_id: int, failure: SendFailed, now: datetime) -> None:
    message = db.session.get(Message, message_id)
    final = isinstance(failure, PermanentFailure) or message.attempts >= MAX_ATTEMPTS
    wait = max(backoff(message.attempts), failure.retry_after or timedelta(0))
    db.session.execute(db.update(Message).where(Message.id == message_id).values(
        last_error=str(failure)[:500],
        state=case((Message.state.in_(CONFIRMED), Message.state), else_="failed" if final else "pending"),
        next_attempt_at=message.next_attempt_at if final else now + wait).execution_options(synchronize_session=False))
    db.session.refresh(message)
    if message.state == "failed":
        _say_it_failed(message)


def _prepare(message: Message, now: datetime) -> Transmit:
    """The channel's preparation; whatever it raises is this message's failure, never the batch's."""
    try:
        return SENDERS[message.channel](message, now)
    except SendFailed as failure:
        return partial(Result, failure)
    except Exception as exc:  # noqa: BLE001  a library's surprise while rendering or encrypting
        return partial(Result, SendFailed(f"{message.channel}: {type(exc).__name__}: {exc}"))


def _transmit(channel: str, transmit: Transmit) -> Result:
    try:
        return transmit()
    except Exception as exc:  # noqa: BLE001  a library's surprise on the network: this message's failure
        return Result(SendFailed(f"{channel}: {type(exc).__name__}: {exc}"))


def _record_sent(message_ids: list[int], now: datetime) -> None:
    """Sent, in one statement for the batch. The phone may already have reported a message delivered (a
    fast push service): never step back from that."""
    if message_ids:
        db.session.execute(db.update(Message).where(Message.id.in_(message_ids)).values(
            sent_at=db.func.coalesce(Message.sent_at, now), last_error=None,
            state=case((Message.state == "sending", "sent"), else_=Message.state))
            .execution_options(synchronize_session=False))


def _record(outcomes: list[tuple[int, Result]], now: datetime) -> None:
    _record_sent([message_id for message_id, result in outcomes if result.failure is None], now)
    worked = [result.phone_worked for _, result in outcomes if result.phone_worked]
    if worked:  # each phone that took its push: its last success, in one statement
        db.session.execute(db.update(PushSubscription).where(PushSubscription.id.in_(worked))
                           .values(last_success_at=now, last_error=None).execution_options(synchronize_session=False))
    for message_id, result in outcomes:
        if result.failure is not None:
            _record_failure(message_id, result.failure, now)
        if result.record:
            result.record(now)


def deliver(claimed: list[tuple[int, int]], now: datetime, lease_now: datetime | None = None, pool=None) -> None:
    """Send a claimed batch: each message still this worker's (renew_lease) is prepared from the database,
    transmitted with no transaction open (side by side in `pool`, if given), and its outcome recorded,
    all outcomes in one transaction. One message's failure at any step is that message's alone."""
    mine = renew_leases(claimed, lease_now or now)
    messages = db.session.scalars(db.select(Message).where(Message.id.in_(mine)).order_by(Message.id)
                                  .options(selectinload(Message.user))).all()
    # Their phones in one query, not one each (held here: the session keeps loaded objects only while used).
    phones = db.session.scalars(db.select(PushSubscription).where(PushSubscription.id.in_(
        [m.subscription_id for m in messages if m.subscription_id]))).all()
    prepared = [(message.id, message.channel, _prepare(message, now)) for message in messages]
    del phones
    db.session.commit()  # no transaction stays open while the network is slow; a phone turned off is kept
    runs = [partial(_transmit, channel, transmit) for _, channel, transmit in prepared]
    results = list(pool.map(lambda run: run(), runs)) if pool else [run() for run in runs]
    outcomes = [(message_id, result) for (message_id, _, _), result in zip(prepared, results, strict=True)]
    try:
        _record(outcomes, now)
        db.session.commit()
    except Exception:  # noqa: BLE001  an outcome the database refused: record them one by one instead
        db.session.rollback()
        for outcome in outcomes:
            try:
                _record([outcome], now)
                db.session.commit()
            except Exception:  # noqa: BLE001  its lease brings it back for another try
                db.session.rollback()


def deliver_due(now: datetime, batch: int = 50, most: int = 1000) -> int:
    """Claim and send due messages, a batch at a time, until none is due (or `most` were tried, so the
    worker still beats its heartbeat in a flood); return how many were attempted. A batch's messages
    go over the network side by side (DELIVERY_THREADS): a push service slow to answer holds up one
    thread, not the other pages."""
    threads = current_app.config["DELIVERY_THREADS"]
    started = time.monotonic()

    def lease_clock() -> datetime:
        """`now` moved on by the whole seconds this pass has taken: later batches are leased from when
        they are claimed and sent, not from when the pass began."""
        return now + timedelta(seconds=int(time.monotonic() - started))
    attempted, pool = 0, None
    try:
        while attempted < most:
            claimed = claim(lease_clock(), batch)
            if claimed:
                if pool is None and threads > 1:
                    pool = ThreadPoolExecutor(threads, thread_name_prefix="deliver")
                deliver(claimed, now, lease_clock(), pool)
            attempted += len(claimed)
            if len(claimed) < batch:
                break
    finally:
        if pool is not None:
            pool.shutdown()
    return attempted


def next_delivery(now: datetime) -> datetime | None:
    """When a message next falls due: a retry, or a lease that runs out."""
    pending = db.session.scalar(db.select(db.func.min(Message.next_attempt_at)).where(Message.state == "pending"))
    leased = db.session.scalar(db.select(db.func.min(Message.next_attempt_at)).where(Message.state == "sending"))
    moments = [m for m in (pending, leased + lease() if leased else None) if m is not None]
    return min(moments) if moments else None

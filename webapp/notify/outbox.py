"""The outbox: queue a message once, claim due messages with a lease, send them, record what happened.

Queueing builds the message's idempotency key here and nowhere else, so running a feature's step twice
never sends twice. A worker claims due messages in a short transaction (rows locked with SKIP LOCKED
on PostgreSQL): each becomes `sending` with a lease of PAGE_LEASE_SECONDS, and a message whose worker
died is taken over when its lease ends, so delivery is at least once; every message carries its own id
(the Message-ID of an email, `page` in a push) so the receiver shows a repeat only once. The lease is
renewed while a batch is still being sent, and every claim is fenced by its attempt count: a worker
that lost a message to another records nothing about it.

A batch is prepared from the database (read only), sent side by side with no transaction open, and
its outcomes recorded together.

Whatever goes wrong with one message (a refused key, a library's exception, a timeout) fails that
message alone: it is recorded with its error, retried with backoff (15 s doubling, or as long as the
peer asked), failed for good after MAX_ATTEMPTS, and the rest of the batch goes on at once.
"""
from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor, wait
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
from .routes import Route, email_follows, routes_for

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
    attempts being this claim's fence (see renew_leases). One that has already been claimed
    MAX_ATTEMPTS times fails instead (a message that kills every worker that sends it). Committed."""
    rows = db.session.scalars(claim_rows(
        db.select(Message)
        .where(Message.channel != "app",  # an in-app alert is shown, never sent
               or_((Message.state == "pending") & (Message.next_attempt_at <= now),
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
    then = " (email follows if no other phone has it)" \
        if how == "phone" and email_follows(message.kind, incident, message.user) else ""
    incident.record("escalation_warning", f"Alert to {message.recipient} by {how} failed: "
                    f"{message.last_error}{then}", None, page=message.group_key)


CONFIRMED = ("delivered", "shown")  # the phone said it has it: no failure may step back from that


def _still_mine(claim: tuple[int, int]):
    """The claim's fence: the message is still `sending` (or confirmed by the phone meanwhile) under this
    claim's attempt count, so no other worker has taken it over."""
    message_id, attempts = claim
    return (Message.id == message_id) & (Message.attempts == attempts) & \
        Message.state.in_(("sending",) + CONFIRMED)


def _record_failure(claim: tuple[int, int], failure: SendFailed, now: datetime) -> bool:
    """Retry with backoff (no sooner than the peer asked), or fail for good: False if the claim was lost."""
    message_id, attempts = claim
    final = isinstance(failure, PermanentFailure) or attempts >= MAX_ATTEMPTS
    wait = max(backoff(attempts), failure.retry_after or timedelta(0))
    values = {"last_error": str(failure)[:500],
              "state": case((Message.state.in_(CONFIRMED), Message.state), else_="failed" if final else "pending")}
    if not final:
        values["next_attempt_at"] = now + wait
    done = db.session.execute(db.update(Message).where(_still_mine(claim)).values(**values)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    message = db.session.get(Message, message_id)
    db.session.refresh(message)
    if message.state == "failed":
        _say_it_failed(message)
    return True


def _prepare(message: Message, now: datetime) -> Transmit:
    """The channel's preparation (it only reads); whatever it raises is this message's failure, never
    the batch's."""
    channel = message.channel
    try:
        return SENDERS[channel](message, now)
    except SendFailed as failure:
        return partial(Result, failure)
    except Exception as exc:  # noqa: BLE001  a library's surprise, or the database's, while preparing
        db.session.rollback()  # the next message's reads must not find the transaction aborted
        return partial(Result, SendFailed(f"{channel}: {type(exc).__name__}: {exc}"))


def _transmit(channel: str, transmit: Transmit) -> Result:
    try:
        return transmit()
    except Exception as exc:  # noqa: BLE001  a library's surprise on the network: this message's failure
        return Result(SendFailed(f"{channel}: {type(exc).__name__}: {exc}"))


def _record_sent(claims: list[tuple[int, int]], now: datetime) -> None:
    """Sent, in one statement for the batch (each claim fenced). The phone may already have reported a
    message delivered (a fast push service): never step back from that."""
    if claims:
        db.session.execute(db.update(Message).where(
            tuple_(Message.id, Message.attempts).in_(claims), Message.state.in_(("sending",) + CONFIRMED)).values(
            sent_at=db.func.coalesce(Message.sent_at, now), last_error=None,
            state=case((Message.state == "sending", "sent"), else_=Message.state))
            .execution_options(synchronize_session=False))


def _record(outcomes: list[tuple[tuple[int, int], Result]], now: datetime) -> None:
    _record_sent([claim for claim, result in outcomes if result.failure is None], now)
    worked = [result.phone_worked for _, result in outcomes if result.phone_worked]
    if worked:  # each phone that took its push: its last success, in one statement
        db.session.execute(db.update(PushSubscription).where(PushSubscription.id.in_(worked))
                           .values(last_success_at=now, last_error=None).execution_options(synchronize_session=False))
    for claim, result in outcomes:
        kept = result.failure is None or _record_failure(claim, result.failure, now)
        if result.record and kept:
            result.record(now)


def _record_bare(claim: tuple[int, int], result: Result, now: datetime) -> None:
    """The last resort when an outcome cannot be recorded with what goes with it: its state alone, so a
    sent email is not sent again when the lease runs out."""
    state = "sent" if result.failure is None else "pending"
    db.session.execute(db.update(Message).where(_still_mine(claim), Message.state == "sending").values(
        state=state, next_attempt_at=now + backoff(claim[1]),
        last_error=None if result.failure is None else str(result.failure)[:500])
        .execution_options(synchronize_session=False))


def deliver(claimed: list[tuple[int, int]], now: datetime, clock=None, pool: ThreadPoolExecutor | None = None) -> None:
    """Send a claimed batch: each message still this worker's (renew_leases) is prepared from the
    database, transmitted with no transaction open (side by side in `pool`), and its outcome recorded,
    all outcomes in one transaction. While the network is slow the leases are renewed; a message with no
    answer after MAX_WAIT_SECONDS is left to be retried. `clock` says the time as the claims see it (a
    pass's `now` moved on by the seconds it has taken)."""
    clock = clock or (lambda: now)
    attempts = dict(claimed)
    mine = renew_leases(claimed, clock())
    messages = db.session.scalars(db.select(Message).where(Message.id.in_(mine)).order_by(Message.id)
                                  .options(selectinload(Message.user))).all()
    # Their phones in one query, not one each (held here: the session keeps loaded objects only while used).
    phones = db.session.scalars(db.select(PushSubscription).where(PushSubscription.id.in_(
        [m.subscription_id for m in messages if m.subscription_id]))).all()
    prepared = [(message.id, message.channel, _prepare(message, now)) for message in messages]
    del phones
    db.session.rollback()  # preparing only read: no transaction stays open while the network is slow
    results = _transmit_all([(channel, transmit) for _, channel, transmit in prepared],
                            [message_id for message_id, _, _ in prepared], attempts, clock, pool)
    outcomes = [((message_id, attempts[message_id]), result)
                for (message_id, _, _), result in zip(prepared, results, strict=True)]
    recorded_at = clock()  # retries count from now, not from when the pass began
    try:
        _record(outcomes, recorded_at)
        db.session.commit()
    except Exception:  # noqa: BLE001  an outcome the database refused: record them one by one instead
        db.session.rollback()
        for outcome in outcomes:
            try:
                _record([outcome], recorded_at)
                db.session.commit()
            except Exception:  # noqa: BLE001  at least its state, so nothing sent goes again
                db.session.rollback()
                try:
                    _record_bare(*outcome, recorded_at)
                    db.session.commit()
                except Exception:  # noqa: BLE001  its lease brings it back for another try
                    db.session.rollback()


MAX_WAIT_SECONDS = 60  # the longest a batch waits for a push service or mail server that keeps talking


def _transmit_all(runs: list[tuple[str, Transmit]], ids: list[int], attempts: dict[int, int], clock,
                  pool: ThreadPoolExecutor | None) -> list[Result]:
    """Run the transmits side by side; keep their leases alive while they run; give up on stragglers."""
    if pool is None:
        return [_transmit(channel, transmit) for channel, transmit in runs]
    futures = [pool.submit(_transmit, channel, transmit) for channel, transmit in runs]
    started = time.monotonic()
    waiting = set(futures)
    while waiting and time.monotonic() - started < MAX_WAIT_SECONDS:
        _done, waiting = wait(waiting, timeout=min(lease().total_seconds() / 3, MAX_WAIT_SECONDS))
        if waiting:  # still talking to a slow peer: this worker still has them
            renew_leases([(ids[n], attempts[ids[n]]) for n, f in enumerate(futures) if f in waiting], clock())
    return [f.result() if f.done() else
            Result(SendFailed(f"{runs[n][0]}: no answer within {MAX_WAIT_SECONDS} s; it will be tried again"))
            for n, f in enumerate(futures)]


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
                pool = pool or ThreadPoolExecutor(threads, thread_name_prefix="deliver")
                deliver(claimed, now, lease_clock, pool)
            attempted += len(claimed)
            if len(claimed) < batch:
                break
    finally:
        if pool is not None:
            pool.shutdown(wait=False)  # a straggler given up on finishes on its own; nothing waits for it
    return attempted


def next_delivery(now: datetime) -> datetime | None:
    """When a message next falls due: a retry, or a lease that runs out."""
    pending = db.session.scalar(db.select(db.func.min(Message.next_attempt_at)).where(Message.state == "pending"))
    leased = db.session.scalar(db.select(db.func.min(Message.next_attempt_at)).where(Message.state == "sending"))
    moments = [m for m in (pending, leased + lease() if leased else None) if m is not None]
    return min(moments) if moments else None

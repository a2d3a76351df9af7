"""Sending pages from the outbox: claim in a short transaction, send outside it, record the result.

A page is claimed by moving it to `sending` (rows locked with SKIP LOCKED on PostgreSQL). If the worker
dies while sending, the page stays `sending` until its lease (PAGE_LEASE_SECONDS) runs out and is then
sent again: delivery to the channel is at least once, and each message carries the page's id
(Message-ID for email, `page` in a push payload) so the receiver shows a repeat only once. Failures are
retried with backoff; after MAX_ATTEMPTS, or at once when retrying cannot help, the page is `failed`
with its error. A phone's service worker then reports `delivered` and `shown` (push/views.py).
"""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import case

from ..database import claim_rows
from ..extensions import db
from ..incidents.models import Incident
from ..push.sender import send_push
from .errors import PermanentFailure, SendFailed
from .models import Notification

MAX_ATTEMPTS = 8


def lease() -> timedelta:
    """How long a claimed page may stay `sending` before another worker takes it over."""
    return timedelta(seconds=current_app.config["PAGE_LEASE_SECONDS"])


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** (attempts - 1), 30 * 60))


def page_text(incident: Incident, reader, about: str | None = None) -> tuple[str, str]:
    """Subject and body of a page, in words a responder reads on a lock screen. A confidential incident
    the reader may not open is named, not described."""
    # The worker has no request to build URLs from: links start at the configured public address.
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/incidents/{incident.reference}"
    if about:
        return f"[{incident.severity}] {incident.reference}: {about[:100]}", f"{about}\n\nOpen: {link}\n"
    if not incident.can_view(reader):
        subject = f"[{incident.severity}] {incident.reference} at {incident.site.name}: confidential incident"
        return subject, (f"{incident.severity} confidential incident {incident.reference} at {incident.site.name}.\n"
                         "The details are only for the people named on it: a supervisor can add you to it.\n")
    subject = f"[{incident.severity}] {incident.reference} at {incident.site.name}: {incident.description[:80]}"
    body = (f"{incident.severity} incident {incident.reference} at {incident.site.name}\n\n"
            f"{incident.description}\n\nWhy {incident.severity}:\n"
            + "".join(f"- {reason}\n" for reason in incident.severity_reasons)
            + f"\nOpen and acknowledge: {link}\n")
    return subject, body


def send_email(notification: Notification) -> None:
    if notification.incident_id is None:
        raise PermanentFailure("email: test alerts go to phones only")
    config = current_app.config
    incident = db.session.get(Incident, notification.incident_id)
    subject, body = page_text(incident, notification.user, notification.about)
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = notification.user.email
    message["Subject"] = subject
    # The same id on every attempt: a repeat after a crash is recognisably the same page.
    message["Message-ID"] = make_msgid(idstring=f"page-{notification.id}", domain=config["MAIL_MESSAGE_DOMAIN"])
    message.set_content(body)
    smtp_send(message)


def smtp_send(message: EmailMessage) -> None:
    """Send through the configured SMTP server; SendFailed with the reason."""
    config = current_app.config
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendFailed(f"email: {type(exc).__name__}: {exc}") from exc


SENDERS = {"email": send_email, "push": send_push}


def claim_outbox(model, state: str, next_at: str, attempts: str, now: datetime, limit: int) -> list:
    """Take due rows of an outbox table (`pending` and due, or `sending` whose worker died: its lease
    ran out) for this worker: each becomes `sending` with its lease starting now. Committed."""
    state_col, next_col = getattr(model, state), getattr(model, next_at)
    rows = db.session.scalars(claim_rows(
        db.select(model)
        .where(((state_col == "pending") & (next_col <= now)) | ((state_col == "sending") & (next_col <= now - lease())))
        .order_by(next_col, model.id).limit(limit))).all()
    for row in rows:
        setattr(row, state, "sending")
        setattr(row, attempts, getattr(row, attempts) + 1)
        setattr(row, next_at, now)
    db.session.commit()
    return rows


def claim(now: datetime, limit: int = 20) -> list[int]:
    """Take due pages (and pages whose sender died) for this worker; returns their ids."""
    return [row.id for row in claim_outbox(Notification, "state", "next_attempt_at", "attempts", now, limit)]


def _say_it_failed(notification: Notification) -> None:
    """A page that failed for good goes on the incident's timeline: nobody is silently missed."""
    if notification.incident_id is None:
        return
    incident = db.session.get(Incident, notification.incident_id)
    how = "phone" if notification.channel == "push" else "email"
    then = " (email follows if no other phone has it)" if how == "phone" else ""
    incident.record("escalation_warning", f"Alert to {notification.user.name} by {how} failed: "
                    f"{notification.last_error}{then}", None, page=notification.page_key)


def deliver(notification_id: int, now: datetime) -> str:
    """Send one claimed page and record the outcome; returns the new state."""
    notification = db.session.get(Notification, notification_id)
    try:
        SENDERS[notification.channel](notification)
    except SendFailed as failure:
        notification.last_error = str(failure)[:500]
        if isinstance(failure, PermanentFailure) or notification.attempts >= MAX_ATTEMPTS:
            notification.state = "failed"
            _say_it_failed(notification)
        else:
            notification.state, notification.next_attempt_at = "pending", now + backoff(notification.attempts)
        db.session.commit()
        return notification.state
    # The phone may already have reported it delivered (a fast push service): never step back from that.
    db.session.execute(db.update(Notification).where(Notification.id == notification_id).values(
        sent_at=db.func.coalesce(Notification.sent_at, now), last_error=None,
        state=case((Notification.state == "sending", "sent"), else_=Notification.state)))
    db.session.commit()
    db.session.refresh(notification)
    return notification.state


def deliver_due(now: datetime, batch: int = 20, most: int = 1000) -> int:
    """Claim and send due pages, a batch at a time, until none is due (or `most` were tried, so the
    worker still beats its heartbeat in a flood); return how many were attempted."""
    attempted = 0
    while attempted < most:
        ids = claim(now, batch)
        for notification_id in ids:
            deliver(notification_id, now)
        attempted += len(ids)
        if len(ids) < batch:
            break
    return attempted

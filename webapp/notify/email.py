"""Email: well-formed messages any mail client and server take, sent by SMTP or, in development, kept
in the mailbox inside the app.

Every email has a `Date`, a `Message-ID` made from the outbox row (the same on every resend of it, so
a repeat after a worker crash is recognisably the same message), `Auto-Submitted: auto-generated`
(RFC 3834: no vacation replies), a plain-text and an HTML part made from the same words, and one
recipient: a stakeholder never sees who else was told.
"""
from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from html import escape
from urllib.parse import urlsplit

from flask import current_app

from ..extensions import db
from .compose import compose
from .errors import PermanentFailure, Result, SendFailed, Transmit
from .models import DevMail, Message
from .render import Rendered, one_line


def message_domain() -> str:
    """The right-hand side of our Message-IDs: MAIL_MESSAGE_DOMAIN, else the app's own host name."""
    config = current_app.config
    return config.get("MAIL_MESSAGE_DOMAIN") or urlsplit(config["PUBLIC_URL"]).hostname or "localhost"


def message_id(message: Message) -> str:
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:12]
    return f"<{message.kind}.{message.id}.{digest}@{message_domain()}>"


def html_body(rendered: Rendered) -> str:
    """The HTML part: the same words as the text part, escaped, with the actions as large links."""
    parts = [f"<p style=\"font-size:18px;font-weight:bold\">{escape(rendered.heading)}</p>"]
    parts += [f"<p>{escape(paragraph)}</p>" for paragraph in rendered.paragraphs]
    if rendered.bullets:
        if rendered.bullets_title:
            parts.append(f"<p>{escape(rendered.bullets_title)}</p>")
        parts.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in rendered.bullets) + "</ul>")
    for n, (label, url) in enumerate(rendered.actions):
        colours = "background:#0b4f6c;color:#ffffff" if n == 0 else "background:#ffffff;color:#0b4f6c"
        parts.append(f"<p><a href=\"{escape(url)}\" style=\"display:inline-block;padding:12px 20px;{colours};"
                     f"border:2px solid #0b4f6c;text-decoration:none;border-radius:6px\">{escape(label)}</a></p>")
    if rendered.footer:
        parts.append(f"<p style=\"color:#555555\">{escape(rendered.footer)}</p>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(rendered.subject)}</title></head>"
            f"<body style=\"font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#17212b\">"
            f"{''.join(parts)}</body></html>")


def build(message: Message, rendered: Rendered, to: str) -> EmailMessage:
    """The whole message; PermanentFailure if a header cannot be written (resending cannot help)."""
    try:
        return _build(message, rendered, to)
    except (ValueError, TypeError) as exc:
        raise PermanentFailure(f"email: the message cannot be written: {exc}") from None


def _build(message: Message, rendered: Rendered, to: str) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = to
    email["Subject"] = one_line(rendered.subject)
    email["Date"] = format_datetime(message.created_at)  # when it was made: the same on a resend
    email["Message-ID"] = message_id(message)
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"  # Outlook's out-of-office replies, likewise
    if message.incident_id is not None and message.kind == "stakeholder":
        # Updates about one incident thread together in the reader's mail client.
        thread = f"<incident-{message.incident_id}@{message_domain()}>"
        email["References"] = thread
        email["In-Reply-To"] = thread
    email.set_content(rendered.text())
    email.add_alternative(html_body(rendered), subtype="html")
    return email


def recipient_address(message: Message) -> str:
    if message.user_id is not None:
        if not message.user.active:
            raise PermanentFailure(f"email: {message.user.name}'s account is deactivated")
        return message.user.email
    return message.address or ""


def prepare(message: Message, now) -> Transmit:
    """The whole email, written now. Transmitting hands it to the mail server; in development it is kept
    in the mailbox instead, when the outcome is recorded."""
    to = recipient_address(message)
    if "@" not in parseaddr(to)[1]:
        raise PermanentFailure(f"email: {to!r} is not an email address")
    email = build(message, compose(message), to)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        if not config.get("DEV_MAILBOX"):
            raise PermanentFailure("email: no mail server is configured (MAIL_SERVER)")

        def keep(now) -> None:
            db.session.add(DevMail(to=str(email["To"]), subject=str(email["Subject"])[:500], raw=email.as_string()))
        return lambda: Result(None, keep)
    smtp = {key: config[key] for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD")}
    return partial(_transmit, email, smtp)


def _transmit(email: EmailMessage, smtp: dict) -> Result:
    """Hand the message to the mail server. Network only."""
    try:
        with smtplib.SMTP(smtp["MAIL_SERVER"], smtp["MAIL_PORT"], timeout=15) as server:
            if smtp["MAIL_USE_TLS"]:
                server.starttls()
            if smtp["MAIL_USERNAME"]:
                server.login(smtp["MAIL_USERNAME"], smtp["MAIL_PASSWORD"])
            server.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        return Result(PermanentFailure(f"email: the mail server refused the address: {exc}"))
    except (OSError, smtplib.SMTPException) as exc:
        return Result(SendFailed(f"email: {type(exc).__name__}: {exc}"))
    return Result()

"""What every message says, in one place: the push payload, the email (subject, text and HTML come
from the same parts) and the in-app alert. Pure: the caller gives the facts, links and tokens.

A push message may carry about 4 KB once encrypted (RFC 8291: 4096 bytes of record, less 103 bytes
of header and padding); the description is cut so the payload always fits, and `minimal_payload`
drops every optional word for a push service that answers 413.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

MAX_PAYLOAD_BYTES = 3900
URGENT = ("P1", "P2")
CONFIDENTIAL = "confidential incident; the details are only in the app, for the people on it"
AUDIENCE_WORDS = {"internal": "internal", "customer": "customers", "public": "public"}


@dataclass(frozen=True)
class IncidentFacts:
    reference: str
    severity: str
    severity_name: str  # "Critical"
    site: str
    description: str | None  # None: the reader may not read this (confidential) incident
    reasons: tuple[str, ...] = ()
    path: str = ""  # /incidents/INC-000001


@dataclass(frozen=True)
class Rendered:
    """One message's words. `actions` are (label, absolute URL) links; `push` is the payload a phone's
    service worker turns into a notification (None: this message never goes to a phone)."""

    subject: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets_title: str = ""
    bullets: tuple[str, ...] = ()
    actions: tuple[tuple[str, str], ...] = ()
    footer: str = ""
    push: dict | None = None
    urgent: bool = False  # wakes a sleeping phone (push Urgency: high)
    topic: str = ""  # a newer push with the same topic replaces an undelivered older one

    def text(self) -> str:
        """The plain-text body of an email."""
        parts = [self.heading, *self.paragraphs]
        if self.bullets:
            parts.append((self.bullets_title + "\n" if self.bullets_title else "")
                         + "\n".join(f"- {line}" for line in self.bullets))
        parts += [f"{label}: {url}" for label, url in self.actions]
        if self.footer:
            parts.append(self.footer)
        return "\n\n".join(parts) + "\n"


def is_urgent(severity: str | None) -> bool:
    return severity in URGENT


def one_line(text: str) -> str:
    """Text for a header or a lock screen: line breaks and runs of spaces become one space."""
    return " ".join(text.split())


def _summary(description: str | None, limit: int) -> str:
    text = one_line(description) if description is not None else CONFIDENTIAL
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def page(facts: IncidentFacts, *, base_url: str, message_id: int, receipt_token: str, push_ack_token: str | None,
         email_ack_url: str | None, repeat: bool = False) -> Rendered:
    """An incident page (or a repeat of one): who is hurt or what is down, where, why this severity,
    and Acknowledge. A confidential incident the reader may not open is named, not described."""
    again = " (again)" if repeat else ""
    link = f"{base_url}{facts.path}"
    open_link = () if facts.description is None else (("Open the incident", link),)
    actions = ((("Acknowledge", email_ack_url),) if email_ack_url else ()) + open_link
    push = {
        "kind": "page", "page": message_id, "reference": facts.reference, "severity": facts.severity,
        "site": facts.site, "title": f"{facts.severity} {facts.severity_name} · {facts.reference}{again}",
        "body": f"{facts.site}: {_summary(facts.description, 180)}",
        "tag": f"incident-{facts.reference}",  # a repeat page for the same incident replaces the last
        "requireInteraction": is_urgent(facts.severity),  # stays on screen until the responder acts
        "url": facts.path, "receipt": receipt_token,
    }
    if push_ack_token:
        push["ack"] = push_ack_token
    common = dict(push=push, urgent=is_urgent(facts.severity), topic=f"incident-{facts.reference}", actions=actions)
    if facts.description is None:
        return Rendered(
            subject=f"[{facts.severity}] {facts.reference} at {facts.site}: confidential incident{again}",
            heading=f"{facts.severity} confidential incident {facts.reference} at {facts.site}{again}.",
            paragraphs=("The details are only for the people named on it: a supervisor can add you to it.",),
            **common)
    return Rendered(
        subject=f"[{facts.severity}] {facts.reference} at {facts.site}: {one_line(facts.description)[:80]}{again}",
        heading=f"{facts.severity} incident {facts.reference} at {facts.site}{again}",
        paragraphs=(facts.description,), bullets_title=f"Why {facts.severity}:", bullets=facts.reasons,
        **common)


REMINDERS = {"deadline": "regulator's deadline", "clock": "SLA target", "update_due": "status update due",
             "review_due": "post-incident review due", "action_overdue": "corrective action overdue"}


def reminder(facts: IncidentFacts, about: str, *, base_url: str, message_id: int, receipt_token: str,
             kind: str = "deadline") -> Rendered:
    """A deadline about an incident (a regulator's, an SLA target, a status update due): Open only.
    It wakes the phone whatever the incident's severity; a newer reminder of the same kind about the
    same incident replaces the last on the lock screen."""
    link = f"{base_url}{facts.path}"
    tag = f"{kind.replace('_', '-')}-{facts.reference}"
    push = {"kind": "reminder", "page": message_id, "reference": facts.reference, "severity": facts.severity,
            "title": f"{facts.reference}: {REMINDERS.get(kind, 'deadline')}", "body": about[:180], "tag": tag,
            "requireInteraction": True, "url": facts.path, "receipt": receipt_token}
    return Rendered(subject=f"[{facts.severity}] {facts.reference}: {one_line(about)[:100]}", heading=about,
                    actions=(("Open", link),), push=push, urgent=True, topic=tag)


def test_alert(*, message_id: int, receipt_token: str) -> Rendered:
    push = {"kind": "test", "page": message_id, "title": "Test alert", "tag": "test-alert",
            "body": "Alerts work on this phone. Incident pages will look like this.", "requireInteraction": False,
            "url": "/account/alerts", "receipt": receipt_token}
    return Rendered(subject="Test alert", heading="Test alert",
                    paragraphs=("Alerts work. Incident pages will look like this.",), push=push, topic="test-alert")


def stakeholder_update(*, reference: str, site: str, text: str, at: datetime) -> Rendered:
    """A status update for customers or the public: only what the author wrote, where and when."""
    return Rendered(subject=f"Update on {reference} at {site}", heading=text, footer=f"{site}, {at:%d %b %Y %H:%M} UTC")


def encode(payload: dict) -> str:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError("push payload too large")
    return text


def minimal_payload(payload: dict) -> dict:
    """The same alert with nothing but what the phone needs to show and act on it: for a push
    service that refuses the full one as too large (413)."""
    keep = ("kind", "page", "reference", "severity", "title", "tag", "requireInteraction", "url", "ack", "receipt")
    slim = {k: v for k, v in payload.items() if k in keep}
    slim["body"] = "Open the app for the details."
    return slim


def push_headers(urgent: bool, topic: str) -> dict[str, str]:
    """RFC 8030: Urgency (high wakes a sleeping phone) and Topic (a newer message replaces an
    undelivered older one with the same topic; at most 32 base64url characters)."""
    clean = "".join(c for c in topic if c.isalnum() or c in "-_")[:32]
    return {"Urgency": "high" if urgent else "normal", "Topic": clean}

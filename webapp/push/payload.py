"""What a push says: the payload the service worker turns into a notification, and the push headers.

Pure: the caller gives the facts and the tokens. A push message may carry about 4 KB once encrypted
(RFC 8291: 4096 bytes of record, less 103 bytes of header and padding); the description is cut so
the payload always fits.
"""
from __future__ import annotations

import json

MAX_PAYLOAD_BYTES = 3900
URGENT = ("P1", "P2")


CONFIDENTIAL = "confidential incident; the details are only in the app, for the people on it"


def incident_payload(*, page_id: int, reference: str, severity: str, severity_name: str, site: str,
                     description: str | None, url: str, ack_token: str, receipt_token: str,
                     repeat: bool = False) -> dict:
    """`description` None: the person paged may not read this (confidential) incident, and a lock
    screen is no place for it either."""
    summary = " ".join(description.split()) if description is not None else CONFIDENTIAL
    body = summary if len(summary) <= 180 else summary[:179].rstrip() + "…"
    return {
        "kind": "page", "page": page_id, "reference": reference, "severity": severity, "site": site,
        "title": f"{severity} {severity_name} · {reference}{' (again)' if repeat else ''}",
        "body": f"{site}: {body}",
        "tag": f"incident-{reference}",  # a repeat page for the same incident replaces the last
        "requireInteraction": is_urgent(severity),  # stays on screen until the responder acts
        "url": url, "ack": ack_token, "receipt": receipt_token,
    }


def reminder_payload(*, page_id: int, reference: str, severity: str, about: str, url: str,
                     receipt_token: str) -> dict:
    """A deadline reminder about an incident (an obligation nearly due or overdue): Open only."""
    return {"kind": "reminder", "page": page_id, "reference": reference, "severity": severity,
            "title": f"{reference}: deadline", "body": about[:180], "tag": f"deadline-{reference}",
            "requireInteraction": True, "url": url, "receipt": receipt_token}


def test_payload(*, page_id: int, receipt_token: str, url: str) -> dict:
    return {"kind": "test", "page": page_id, "title": "Test alert", "tag": "test-alert",
            "body": "Alerts work on this phone. Incident pages will look like this.", "requireInteraction": False,
            "url": url, "receipt": receipt_token}


def encode(payload: dict) -> str:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError("push payload too large")
    return text


def is_urgent(severity: str | None) -> bool:
    return severity in URGENT


def headers(urgent: bool, topic: str) -> dict[str, str]:
    """RFC 8030: Urgency (high wakes a sleeping phone) and Topic (a newer message replaces an
    undelivered older one with the same topic; at most 32 base64url characters)."""
    clean = "".join(c for c in topic if c.isalnum() or c in "-_")[:32]
    return {"Urgency": "high" if urgent else "normal", "Topic": clean}

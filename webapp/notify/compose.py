"""A message's words, from the database: the facts its kind needs, handed to render.py.

The worker has no request to build links from: they start at the configured PUBLIC_URL.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import current_app

from ..extensions import db
from ..incidents.models import Incident
from ..rules.classification import SEVERITY_NAMES
from . import render, tokens
from .models import PAGE_KINDS, Message


def base_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")


def incident_facts(incident: Incident, reader) -> render.IncidentFacts:
    """What a message about the incident may say to `reader` (a user; None: a stakeholder)."""
    readable = reader is not None and incident.can_view(reader)
    return render.IncidentFacts(
        reference=incident.reference, severity=incident.severity, severity_name=SEVERITY_NAMES[incident.severity],
        site=incident.site.name, description=incident.description if readable else None,
        reasons=tuple(incident.severity_reasons) if readable else (), path=f"/incidents/{incident.reference}")


def email_ack_url(message: Message) -> str:
    """The one-click link in a page email: a signed token bound to this message (so to its person and
    incident), single use, like the token in a push."""
    return f"{base_url()}/ack/{tokens.issue('ack', message.id)}"


def compose(message: Message) -> render.Rendered:
    receipt = tokens.issue("receipt", message.id)
    if message.kind == "test":
        return render.test_alert(message_id=message.id, receipt_token=receipt)
    incident = db.session.get(Incident, message.incident_id)
    if message.kind == "stakeholder":
        details = message.details or {}
        return render.stakeholder_update(reference=incident.reference, site=incident.site.name,
                                         text=details.get("text", ""),
                                         at=datetime.fromisoformat(details["at"]) if details.get("at")
                                         else message.created_at)
    facts = incident_facts(incident, message.user)
    if message.kind in PAGE_KINDS:
        return render.page(facts, base_url=base_url(), message_id=message.id, receipt_token=receipt,
                           push_ack_token=tokens.issue("ack", message.id) if message.channel == "push" else None,
                           email_ack_url=email_ack_url(message) if message.channel == "email" else None,
                           repeat=message.kind == "repage")
    if (message.details or {}).get("path"):  # a reminder about something of the incident's (its action)
        facts = replace(facts, path=message.details["path"])
    return render.reminder(facts, message.about or "", base_url=base_url(), message_id=message.id,
                           receipt_token=receipt, kind=message.kind)

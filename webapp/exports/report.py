"""The formal incident report: everything known about one incident, as one document for the customer, the
insurer or the file (the printable page and the PDF share it). It reads every feature's part of the
incident, so it sits at the top of the layers with the views."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from flask import url_for

from ..auth.models import User
from ..comms.rules import AUDIENCES
from ..comms.service import updates_of
from ..evidence.service import derived
from ..incidents.models import INCIDENT_ROLES, Incident
from ..learning import investigation, reviews
from ..obligations.regimes import BY_ID, DISCLAIMER
from ..obligations.service import obligations_of
from ..organisation.models import Organisation
from ..rules import learning as learning_rules
from ..sla.service import clock_view

OBLIGATION_STATES = {"due": "Due", "overdue": "Overdue", "waiting": "Waiting", "done": "Done",
                     "not_required": "Not required"}


@dataclass(frozen=True)
class Photo:
    number: int
    name: str
    added_by: str
    added_at: datetime
    src: str  # the display copy: its address on the page, inline (a data: URI) in the PDF


def _photos(incident: Incident, inline: bool) -> list[Photo]:
    photos = []
    for number, link in enumerate(incident.photos, start=1):
        evidence = link.evidence
        if inline:  # display copies: orientation applied, no metadata (so no GPS), a few hundred KB
            with derived().open(evidence.display_key) as handle:
                src = "data:image/jpeg;base64," + base64.b64encode(handle.read()).decode("ascii")
        else:
            src = url_for("evidence.show", reference=incident.reference, sha256=evidence.sha256, size="display")
        photos.append(Photo(number, evidence.original_name, link.added_by.name, link.added_at, src))
    return photos


def report_context(incident: Incident, viewer: User, now: datetime, pdf: bool) -> dict:
    """What the report template shows. The caller has checked that `viewer` may see the incident."""
    review = reviews.review_of(incident)
    actions = reviews.actions_of(incident)
    return dict(
        incident=incident, organisation=Organisation.current(), viewer=viewer, now=now, pdf=pdf,
        zone=incident.site.timezone, answers=incident.described_answers(),
        roles=[(INCIDENT_ROLES[role], holder) for role, holder in incident.role_holders().items()],
        clocks=[] if incident.status == "cancelled" else clock_view(incident, now),
        obligations=[(row, BY_ID[row.regime].name if row.regime in BY_ID else row.regime,
                      OBLIGATION_STATES[row.state(now)]) for row in obligations_of(incident) if row.applies],
        disclaimer=DISCLAIMER, updates=updates_of(incident), audiences=AUDIENCES,
        inv=investigation.investigation_of(incident), statements=investigation.statements_of(incident),
        review=review, review_states=learning_rules.REVIEW_STATES, actions=actions,
        action_states=learning_rules.ACTION_STATES, controls=learning_rules.CONTROLS,
        weak=learning_rules.relies_on_weak_controls(a.control for a in actions),
        factors=learning_rules.CONTRIBUTING_FACTORS, categories=learning_rules.ROOT_CAUSE_CATEGORIES,
        photos=_photos(incident, inline=pdf), timeline=incident.timeline)

"""The formal incident report: everything known about one incident, as one document for the customer, the
insurer or the file (the printable page and the PDF share it). It reads every feature's part of the
incident, so it sits at the top of the layers with the views."""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..comms.rules import AUDIENCES
from ..comms.service import updates_of
from ..evidence.service import derived
from ..extensions import db
from ..incidents.models import INCIDENT_ROLES, Incident, TimelineEntry
from ..learning import investigation, reviews
from ..obligations.regimes import BY_ID, DISCLAIMER
from ..obligations.service import obligations_of
from ..organisation.models import Organisation
from ..rules import learning as learning_rules
from ..sla.service import clock_view

# Views and downloads of the record itself are logged on the timeline (REFERENCE section 7) but are not
# part of what happened: the report leaves them out, and says so.
AUDIT_ENTRIES = ("export", "evidence_download")
REFERENCE = re.compile(r"\bINC-\d{6,}\b")
OBLIGATION_STATES = {"due": "Due", "overdue": "Overdue", "waiting": "Waiting", "done": "Done",
                     "not_required": "Not required"}


@dataclass(frozen=True)
class Photo:
    number: int
    name: str
    added_by: str
    added_at: datetime
    src: str | None  # the display copy: its address on the page, inline (a data: URI) in the PDF; None: missing


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    what: str


def _story(incident: Incident) -> list[Line]:
    """The timeline as the report tells it: without its own views and downloads, and naming no other
    incident (a repeat cause names one the report's readers may not be allowed to see)."""
    entries = db.session.scalars(db.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                                TimelineEntry.what.not_in(AUDIT_ENTRIES))
                                 .options(selectinload(TimelineEntry.actor)).order_by(TimelineEntry.id))
    own = incident.reference
    return [Line(e.at, e.actor.name if e.actor else "The app",
                 REFERENCE.sub(lambda m: m.group(0) if m.group(0) == own else "another incident", e.summary))
            for e in entries]


def _photos(incident: Incident, inline: bool) -> list[Photo]:
    photos = []
    for number, link in enumerate(incident.photos, start=1):
        evidence = link.evidence
        if inline:  # display copies: orientation applied, no metadata (so no GPS), a few hundred KB
            try:
                with derived().open(evidence.display_key) as handle:
                    src = "data:image/jpeg;base64," + base64.b64encode(handle.read()).decode("ascii")
            except OSError:  # the original is kept; only its display copy is missing
                src = None
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
        photos=_photos(incident, inline=pdf), timeline=_story(incident))

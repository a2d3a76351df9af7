"""Turning a validated report into an incident, exactly once per client_id."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..evidence.models import Evidence
from ..evidence.service import attach
from ..extensions import db
from ..incidents import hooks
from ..incidents.facts import apply_answers
from ..incidents.models import Incident
from ..organisation.models import Site
from ..rules.answers import Report
from ..rules.classification import SEVERITY_NAMES


class ClientIdTaken(Exception):
    """Another user already used this client_id: refuse rather than show them that incident."""


def _existing(client_id: str, reporter: User) -> Incident | None:
    incident = db.session.scalar(db.select(Incident).filter_by(client_id=client_id))
    if incident is not None and incident.reporter_id != reporter.id:
        raise ClientIdTaken(client_id)
    return incident


def submit_report(report: Report, reporter: User, now: datetime,
                  photos: Sequence[Evidence] = ()) -> tuple[Incident, bool]:
    """Create the incident for `report` with its photos; return (incident, created).

    A repeat returns the first incident (and attaches any of its photos that were not yet attached).

    The unique client_id in the database decides, not the check before the insert: two copies sent
    at once both pass the check, and the loser's insert fails and returns the winner's incident.
    """
    existing = _existing(report.client_id, reporter)
    if existing is not None:
        return _attach_late_photos(existing, photos, reporter, now), False
    site = db.session.scalar(db.select(Site).filter_by(code=report.site))
    incident = Incident(
        client_id=report.client_id, reporter=reporter, site=site, status="reported",
        description=report.description, confidential=report.confidential,
        occurred_at=report.occurred_at, submitted_at=report.submitted_at, reported_at=now,
        aware_at=report.submitted_at or now,
    )
    if report.location:
        incident.latitude = report.location["lat"]
        incident.longitude = report.location["lon"]
        incident.accuracy_m = report.location.get("accuracy_m")
    result = apply_answers(incident, report.answers)  # as a correction would: the same answers, the same incident
    incident.record("reported", f"Reported by {reporter.name}; classified "
                    f"{result.severity} {SEVERITY_NAMES[result.severity].lower()}", reporter,
                    reasons=result.reasons)
    attach(incident, list(photos), reporter, now)
    db.session.add(incident)
    try:
        db.session.flush()
        hooks.reported(incident, reporter, now)  # in the same transaction: its obligations, a P1 made major
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = _existing(report.client_id, reporter)
        if existing is None:
            raise
        return _attach_late_photos(existing, photos, reporter, now), False
    return incident, True


def _attach_late_photos(incident: Incident, photos: Sequence[Evidence], reporter: User, now: datetime) -> Incident:
    """A retry may carry photos whose first attempt never arrived; attach them, once."""
    if photos and attach(incident, list(photos), reporter, now):
        db.session.commit()
    return incident

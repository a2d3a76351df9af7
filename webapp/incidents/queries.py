"""Finding incidents for the queue and the API, always through the viewer's visibility rule."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, case
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..database import utcnow
from ..extensions import db
from ..organisation.models import Site
from .lifecycle import ALL_STATUSES, OPEN_STATUSES
from .models import Incident, IncidentCategory


def incident_query(viewer: User, *, status: str | None = None, severity: str | None = None,
                   site: str | None = None, category: str | None = None) -> Select:
    """Incidents the viewer may see, filtered; `status` may be 'open' or 'all' too."""
    query = db.select(Incident).where(Incident.visible_to(viewer))
    if status == "open":
        query = query.where(Incident.status.in_(OPEN_STATUSES))
    elif status in ALL_STATUSES:
        query = query.where(Incident.status == status)
    if severity:
        query = query.where(Incident.severity == severity)
    if site:
        query = query.where(Incident.site.has(Site.code == site))
    if category:
        query = query.where(Incident.category_rows.any(IncidentCategory.name == category))
    return query


QUEUE_LIMIT = 200


REGULATOR_SOON = timedelta(hours=24)


def queue(viewer: User, limit: int = QUEUE_LIMIT, now: datetime | None = None, **filters) -> list[Incident]:
    """The triage queue's rows: those with a regulator's deadline missed or within a day first (so a
    long queue never hides one), then the most severe, then the longest waiting. The page sorts what it
    shows by the nearest deadline."""
    from ..obligations.models import Obligation  # obligations build on incidents
    soon = (now or utcnow()) + REGULATOR_SOON
    regulator_soon = db.select(Obligation.id).where(
        Obligation.incident_id == Incident.id, Obligation.status == "due", Obligation.waiting_for.is_(None),
        Obligation.deadline <= soon).exists()
    query = incident_query(viewer, **filters).order_by(case((regulator_soon, 0), else_=1), Incident.severity,
                                                       Incident.reported_at, Incident.id)
    # What each row shows, loaded with the list rather than one query per row.
    query = query.options(selectinload(Incident.category_rows), selectinload(Incident.site))
    return list(db.session.scalars(query.limit(limit)))


def queue_size(viewer: User, **filters) -> int:
    """How many incidents the queue's filters match (it shows at most its limit of them)."""
    query = incident_query(viewer, **filters).with_only_columns(db.func.count(Incident.id)).order_by(None)
    return db.session.scalar(query)


def pages_of(incident: Incident) -> list:
    """Every alert sent about the incident, oldest first: who, how, and how far it got."""
    from ..escalation.models import Notification
    return list(db.session.scalars(db.select(Notification).where(Notification.incident_id == incident.id)
                                   .order_by(Notification.id)))

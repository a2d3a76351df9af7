"""Finding incidents for the queue and the API, always through the viewer's visibility rule."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, case
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..database import utcnow
from ..extensions import db
from ..organisation.models import Site
from . import hooks
from .lifecycle import ALL_STATUSES, OPEN_STATUSES
from .models import Incident, IncidentCategory

NOT_CANCELLED = "not_cancelled"


def incident_query(viewer: User, *, status: str | None = None, severity: str | None = None,
                   site: str | None = None, category: str | None = None, reported_from: date | None = None,
                   reported_to: date | None = None) -> Select:
    """Incidents the viewer may see, filtered; `status` may be 'open' or 'all' too; `reported_from` and
    `reported_to` are days (UTC, inclusive) the incident was reported on."""
    query = db.select(Incident).where(Incident.visible_to(viewer))
    if reported_from:
        query = query.where(Incident.reported_at >= datetime.combine(reported_from, time(0), tzinfo=UTC))
    if reported_to:
        end = datetime.combine(reported_to + timedelta(days=1), time(0), tzinfo=UTC)
        query = query.where(Incident.reported_at < end)
    if status == "open":
        query = query.where(Incident.status.in_(OPEN_STATUSES))
    elif status == NOT_CANCELLED:  # what the metrics count
        query = query.where(Incident.status != "cancelled")
    elif status in ALL_STATUSES:
        query = query.where(Incident.status == status)
    if severity:
        query = query.where(Incident.severity == severity)
    if site:
        query = query.where(Incident.site.has(Site.code == site))
    if category:
        query = query.where(Incident.category_rows.any(IncidentCategory.name == category))
    return query


# What Incident.to_json() reads of each incident, loaded with a list in one statement per relation rather
# than one per row (a photo's bytes' facts come with the photo: IncidentPhoto.evidence is joined).
AS_JSON = (selectinload(Incident.site), selectinload(Incident.category_rows), selectinload(Incident.reporter),
           selectinload(Incident.commander), selectinload(Incident.comms_lead), selectinload(Incident.tech_lead),
           selectinload(Incident.photos))

QUEUE_LIMIT = 200


def queue(viewer: User, limit: int = QUEUE_LIMIT, now: datetime | None = None, **filters) -> list[Incident]:
    """The triage queue's rows: those a feature says must never be hidden first (a regulator's deadline
    missed or within a day: see obligations), then the most severe, then the longest waiting. The page sorts what it
    shows by the nearest deadline."""
    first = [case((condition, 0), else_=1) for condition in hooks.queue_first(now or utcnow())]
    query = incident_query(viewer, **filters).order_by(*first, Incident.severity, Incident.reported_at, Incident.id)
    # What each row shows, loaded with the list rather than one query per row.
    query = query.options(selectinload(Incident.category_rows), selectinload(Incident.site))
    return list(db.session.scalars(query.limit(limit)))


def queue_size(viewer: User, **filters) -> int:
    """How many incidents the queue's filters match (it shows at most its limit of them)."""
    query = incident_query(viewer, **filters).with_only_columns(db.func.count(Incident.id)).order_by(None)
    return db.session.scalar(query)

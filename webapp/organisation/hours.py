"""Hours worked per site and calendar month: set by admins (the page and the API share this), read by
the injury frequency rates."""
from __future__ import annotations

from datetime import date

from ..extensions import db
from .models import Site, SiteHours


def set_hours(site: Site, month: date, hours: float) -> SiteHours:
    """The hours for that site and month, replacing any given before."""
    row = db.session.get(SiteHours, (site.id, month))
    if row is None:
        row = SiteHours(site_id=site.id, month=month, hours=hours)
        db.session.add(row)
    row.hours = hours
    return row


def hours_table(first: date, last: date) -> dict[tuple[int, date], float]:
    """(site id, month) -> hours for the months first..last."""
    rows = db.session.scalars(db.select(SiteHours).where(SiteHours.month >= first, SiteHours.month <= last))
    return {(row.site_id, row.month): row.hours for row in rows}

"""The metrics' summary of each site's day (rollup.py): counts kept so a year is a few thousand rows to add
up, not a million incidents to read, and marks saying which days changed since they were counted."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class MetricDay(db.Model):
    """A site's day (UTC, by report time) whose figures are counted in MetricCount, as they stood at
    `as_of`; they hold until `valid_until` (the first deadline still to pass among its open work: an SLA
    target, a notification deadline, an action's due date), after which the day is counted again."""

    __table_args__ = (Index("ix_metric_day_valid_until", "valid_until"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MetricCount(db.Model):
    """One figure of a site's day for one severity: how many (and, for a duration bucket, their seconds
    added up). Figures: total, high_potential, near_misses, lost_time, recordable, repeat_causes,
    response:met and the like, obligations:on_time, actions:late, category:<name>, mtta:<bucket>."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(2), primary_key=True)
    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class MetricMark(db.Model):
    """A site's day whose figures may have changed since they were counted, written in the same
    transaction as the change. Only ever inserted by changes and deleted by the count that saw them, so
    a change committed while a day is being counted leaves its mark for the next count."""

    __table_args__ = (Index("ix_metric_mark_day", "site_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)

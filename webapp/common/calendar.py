"""Clock arithmetic for deadlines: calendar and business days in a site's time zone. Pure.

"Within N business days" ends at midnight (local) at the end of the Nth business day after the day
the clock started: a report at 16:00 on a Friday with one business day is due by the end of Monday.
Weekends and the public holidays of the site's jurisdiction (the `holidays` package) are skipped.
Local midnights are built in the zone, so a daylight-saving change in between moves nothing.
"""
from __future__ import annotations

import calendar as _calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# Jurisdiction -> (country, subdivision) for public holidays. EU sites have no common public holidays
# across member states: weekends only.
HOLIDAY_CALENDARS = {
    "AU-NSW": ("AU", "NSW"), "AU-QLD": ("AU", "QLD"), "AU-VIC": ("AU", "VIC"), "AU-WA": ("AU", "WA"),
    "AU-SA": ("AU", "SA"), "AU-TAS": ("AU", "TAS"), "AU-ACT": ("AU", "ACT"), "AU-NT": ("AU", "NT"),
    "UK": ("GB", "ENG"),
}


@lru_cache(maxsize=64)
def _holidays(jurisdiction: str, year: int) -> frozenset[date]:
    where = HOLIDAY_CALENDARS.get(jurisdiction)
    if where is None:
        return frozenset()
    country, subdivision = where
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_business_day(day: date, jurisdiction: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(jurisdiction, day.year)


def holiday_name(day: date, jurisdiction: str) -> str | None:
    where = HOLIDAY_CALENDARS.get(jurisdiction)
    if where is None:
        return None
    return holidays.country_holidays(where[0], subdiv=where[1], years=day.year).get(day)


def add_business_days(start: datetime, days: int, zone: str, jurisdiction: str) -> datetime:
    """The end (local midnight) of the `days`-th business day after `start`'s local date, in UTC."""
    tz = ZoneInfo(zone)
    day = start.astimezone(tz).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, jurisdiction):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def add_months(start: datetime, months: int) -> datetime:
    """The same day and time `months` later (the last day of a shorter month)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, _calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def add_local_days(start: datetime, days: int, zone: str) -> datetime:
    """`days` calendar days later at the same local wall-clock time (RIDDOR's "within 10 days")."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=days), local.time().replace(tzinfo=None),
                            tzinfo=tz).astimezone(UTC)

"""What GET /api/v1/metrics takes (a period and a site) and answers (the figures of REFERENCE section 8,
as `service.metrics` counts them)."""
from __future__ import annotations

from pydantic import Field

from ..common.schemas import Answer, Query

TAGS = ("Metrics",)


class MetricsQuery(Query):
    """The period, UTC days inclusive (the last 30 days by default; at most 10 years), and a site."""
    from_: str | None = Field(None, alias="from", pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$",
                              json_schema_extra={"format": "date"},
                              description="the first day, YYYY-MM-DD (30 days before `to` by default)")
    to: str | None = Field(None, pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", json_schema_extra={"format": "date"},
                           description="the last day, YYYY-MM-DD (today by default)")
    site: str | None = Field(None, max_length=20, description="a site's code (every site by default)")

    def args(self) -> dict[str, str]:
        """The parameters sent, as `service.period_from` reads them."""
        return self.model_dump(by_alias=True, exclude_none=True)


class PeriodOut(Answer):
    """The period the figures are for."""
    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    site: str | None = Field(description="the site's code; null: every site")


class BySeverity(Answer):
    """A count for each severity."""
    P1: int
    P2: int
    P3: int
    P4: int


class IncidentCounts(Answer):
    """Incidents reported in the period, cancelled ones left out."""
    total: int
    by_severity: BySeverity
    by_category: dict[str, int] = Field(description="every category, 0 where none")
    by_site: dict[str, int] = Field(description="by site code; sites with none are left out")


class Durations(Answer):
    """Seconds: how many were measured, their median, 90th percentile (nearest rank) and mean; null when
    none were."""
    count: int
    median: float | None
    p90: float | None
    mean: float | None


class ClockOutcomes(Answer):
    """SLA clocks of the severity that met and breached their target."""
    met: int
    breached: int


class Clocks(Answer):
    """Each SLA clock's outcomes."""
    response: ClockOutcomes
    resolution: ClockOutcomes


class SlaBySeverity(Answer):
    """SLA outcomes for each severity."""
    P1: Clocks
    P2: Clocks
    P3: Clocks
    P4: Clocks


class ObligationOutcomes(Answer):
    """Regulatory obligations met on time and late."""
    on_time: int
    late: int


class ActionOutcomes(Answer):
    """Corrective actions done on time, done late, and open past their due date."""
    on_time: int
    late: int
    open_overdue: int


class Injuries(Answer):
    """Lost-time and recordable injuries, and their rates per million hours worked (null until every month
    of the period has its hours)."""
    lost_time: int
    recordable: int
    hours_worked: float | None
    ltifr: float | None
    trifr: float | None


class MetricsOut(Answer):
    """The figures of REFERENCE section 8 for the period and site."""
    period: PeriodOut
    incidents: IncidentCounts
    mtta_seconds: Durations = Field(description="time to acknowledge")
    mttr_seconds: Durations = Field(description="time to resolve")
    sla: SlaBySeverity
    obligations: ObligationOutcomes
    actions: ActionOutcomes
    injuries: Injuries
    high_potential: int
    near_misses: int
    repeat_causes: int

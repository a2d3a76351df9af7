"""The metrics tests' world: twenty incidents over January and February 2026 at two sites, handled at
different speeds, with steps and actions done on time, late or not at all (the `world` fixture, which
conftest.py provides), and the figures worked out from them one incident at a time (`expected`)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import file_incident

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.learning.models import CorrectiveAction, Investigation
from webapp.obligations.models import Obligation
from webapp.organisation.hours import set_hours
from webapp.rules.metrics import action_outcome, clock_outcome, deadline_outcome, frequency_rate, injury_kind, summarise
from webapp.sla.service import incident_clocks

UTC = UTC
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
KINDS = [  # answers, site
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "hospital_admitted"}, "SYD"),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "medical", "days_unfit_for_work": 3},
     "SYD"),
    ({"what_happened": ["injury"], "injured_person": "contractor", "treatment": "medical"}, "MAN"),
    ({"what_happened": ["injury"], "injured_person": "public", "treatment": "hospital_admitted"}, "MAN"),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "first_aid"}, "SYD"),
    ({"what_happened": ["near_miss"], "treatment": None, "worst_credible_outcome": "fatality"}, "SYD"),
    ({"what_happened": ["near_miss"], "treatment": None}, "MAN"),
    ({"what_happened": ["service_outage"], "treatment": None, "service_impact": "site"}, "MAN"),
    ({"what_happened": ["hazard"], "treatment": None}, "SYD"),
    ({"what_happened": ["data_breach"], "treatment": None, "personal_data": "yes", "likely_serious_harm": "no"}, "MAN"),
]


@pytest.fixture
def world(demo):
    """Ten incidents over January and February 2026 at two sites, handled at different speeds; one
    cancelled and one in March (outside the period); obligations and actions done on time, late, or not."""
    now = datetime(2026, 3, 20, tzinfo=UTC)
    made = []
    for n, (answers, site) in enumerate(KINDS * 2):
        incident = file_incident(demo, site=site, **answers)
        reported = START + timedelta(days=n * 2, hours=n)
        incident.reported_at = incident.aware_at = reported
        incident.occurred_at = reported - timedelta(minutes=10)
        if n % 3 != 2:
            incident.acknowledged_at = reported + timedelta(minutes=4 * n + 1)
        if n % 4 == 0:
            incident.resolved_at = reported + timedelta(hours=n + 1)
        made.append(incident)
    made[-1].status = "cancelled"
    outside = file_incident(demo)
    outside.reported_at = datetime(2026, 3, 2, tzinfo=UTC)
    db.session.flush()
    for n, step in enumerate(db.session.scalars(db.select(Obligation).where(Obligation.deadline.is_not(None)))):
        step.deadline = datetime(2026, 1, 10, tzinfo=UTC) + timedelta(days=n)
        if n % 3 == 0:
            step.status, step.done_at = "done", step.deadline - timedelta(hours=1)
        elif n % 3 == 1:
            step.status, step.done_at = "done", step.deadline + timedelta(hours=1)
    for n, incident in enumerate(made[:6]):
        action = CorrectiveAction(incident_id=incident.id, title=f"Action {n}", owner_id=demo["responder"].id,
                                  due_date=date(2026, 2, 1), due_at=datetime(2026, 2, 1, 13, tzinfo=UTC),
                                  control="engineering", created_by_id=demo["supervisor"].id, status="open")
        if n % 3 == 0:
            action.status, action.done_at = "done", action.due_at - timedelta(days=1)
        elif n % 3 == 1:
            action.status, action.done_at = "done", action.due_at + timedelta(days=1)
        db.session.add(action)
    for incident in (made[0], made[4], made[8]):  # SYD, the same cause, 8 and 16 days apart (within 90)
        db.session.add(Investigation(incident_id=incident.id, whys=[], immediate_causes=[], underlying_causes=[],
                                     root_cause="", root_cause_category="plant", contributing_factors=[]))
    set_hours(demo["sites"]["SYD"], date(2026, 1, 1), 40_000)
    set_hours(demo["sites"]["SYD"], date(2026, 2, 1), 38_000.5)
    set_hours(demo["sites"]["MAN"], date(2026, 2, 1), 25_000)
    set_hours(demo["sites"]["MAN"], date(2026, 3, 1), 99_999)  # outside the period
    db.session.commit()
    return now


def expected(site_code: str | None, now: datetime) -> dict:
    """The figures worked out one incident at a time, with the pure definitions."""
    first, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    incidents = [i for i in db.session.scalars(db.select(Incident))
                 if first <= i.reported_at < end and i.status != "cancelled" and (site_code in (None, i.site.code))]
    ids = {i.id for i in incidents}
    sla = {s: {c: {"met": 0, "breached": 0} for c in ("response", "resolution")} for s in ("P1", "P2", "P3", "P4")}
    for incident in incidents:
        for clock in incident_clocks(incident):
            outcome = clock_outcome(clock.due, clock.met_at, now)
            if outcome:
                sla[incident.severity][clock.name][outcome] += 1
    steps = [o for o in db.session.scalars(db.select(Obligation)) if o.incident_id in ids and o.deadline is not None
             and o.applies and o.status in ("due", "done")]
    step_outcomes = Counter(deadline_outcome(o.deadline, o.done_at, now) for o in steps)
    acts = Counter(action_outcome(a.due_at, a.done_at, now) for a in db.session.scalars(db.select(CorrectiveAction))
                   if a.incident_id in ids)
    kinds = Counter(injury_kind(i.answers) for i in incidents)
    lost = kinds["lost_time"]
    recordable = kinds["lost_time"] + kinds["recordable"]
    hours = {"SYD": 78_000.5, "MAN": 25_000.0, None: 103_000.5}[site_code]
    return {
        "total": len(incidents),
        "by_severity": Counter(i.severity for i in incidents),
        "by_site": Counter(i.site.code for i in incidents),
        "mtta": summarise((i.acknowledged_at - i.reported_at).total_seconds() for i in incidents if i.acknowledged_at),
        "mttr": summarise((i.resolved_at - i.reported_at).total_seconds() for i in incidents if i.resolved_at),
        "sla": sla,
        "obligations": {"on_time": step_outcomes["on_time"], "late": step_outcomes["late"]},
        "actions": {k: acts[k] for k in ("on_time", "late", "open_overdue")},
        # Manchester has no hours for January: its rates (and the overall ones) are not shown.
        "injuries": {"lost_time": lost, "recordable": recordable, "hours_worked": hours,
                     "ltifr": round(frequency_rate(lost, hours), 2) if site_code == "SYD" else None,
                     "trifr": round(frequency_rate(recordable, hours), 2) if site_code == "SYD" else None},
        "high_potential": sum(i.high_potential for i in incidents),
        "near_misses": sum("near_miss" in i.answers["what_happened"] for i in incidents),
    }

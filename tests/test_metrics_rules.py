"""REFERENCE section 8's definitions as pure functions."""
from datetime import UTC, date, datetime, timedelta

import pytest

from webapp.metrics.charts import Bar, nice_top, stacked_bars
from webapp.rules.metrics import (
    action_outcome,
    clock_outcome,
    deadline_outcome,
    frequency_rate,
    injury_kind,
    months_overlapping,
    nearest_rank,
    summarise,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DUE = NOW - timedelta(hours=1)


def test_percentiles_are_by_nearest_rank():
    assert nearest_rank([], 0.9) is None
    assert nearest_rank([5], 0.9) == 5
    ten = list(range(1, 11))
    assert nearest_rank(ten, 0.9) == 9 and nearest_rank(ten, 0.5) == 5  # the 9th and 5th smallest
    eleven = list(range(1, 12))
    assert nearest_rank(eleven, 0.9) == 10  # ⌈9.9⌉ = 10th
    summary = summarise([600, 60, 120, 3600])
    assert summary.to_json() == {"count": 4, "median": 120, "p90": 3600, "mean": 1095}
    assert summarise([]).to_json() == {"count": 0, "median": None, "p90": None, "mean": None}


def test_sla_clocks_met_breached_or_still_running():
    assert clock_outcome(DUE, DUE, NOW) == "met"  # by the target: met
    assert clock_outcome(DUE, DUE + timedelta(seconds=1), NOW) == "breached"
    assert clock_outcome(DUE, None, NOW) == "breached"  # not met and the target has passed
    assert clock_outcome(NOW + timedelta(hours=1), None, NOW) is None  # running: counted in neither


def test_notification_deadlines_and_actions():
    assert deadline_outcome(DUE, DUE - timedelta(minutes=1), NOW) == "on_time"
    assert deadline_outcome(DUE, DUE + timedelta(minutes=1), NOW) == "late"
    assert deadline_outcome(DUE, None, NOW) == "late"  # still open past it
    assert deadline_outcome(NOW + timedelta(days=1), None, NOW) is None
    assert deadline_outcome(None, NOW, NOW) is None  # no deadline (an urgent step without one)
    assert action_outcome(DUE, DUE, NOW) == "on_time"
    assert action_outcome(DUE, NOW, NOW) == "late"
    assert action_outcome(DUE, None, NOW) == "open_overdue"
    assert action_outcome(NOW + timedelta(days=2), None, NOW) is None


@pytest.mark.parametrize("answers, kind", [
    ({"what_happened": ["injury"], "injured_person": "worker", "days_unfit_for_work": 1, "treatment": "first_aid"},
     "lost_time"),
    ({"what_happened": ["injury"], "injured_person": "contractor", "treatment": "fatality"}, "lost_time"),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "medical"}, "recordable"),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "emergency_discharged"}, "recordable"),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "hospital_admitted",
      "days_unfit_for_work": 0}, "recordable"),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "first_aid", "days_unfit_for_work": 0},
     None),
    ({"what_happened": ["injury"], "injured_person": "public", "treatment": "hospital_admitted"}, None),  # public
    ({"what_happened": ["injury"], "treatment": "medical"}, "recordable"),  # who not said: counted, as a worker
    ({"what_happened": ["near_miss"], "injured_person": "worker", "treatment": "medical"}, None),
])
def test_lost_time_and_recordable_injuries(answers, kind):
    assert injury_kind(answers) == kind


def test_frequency_rates_per_million_hours_and_none_without_hours():
    assert frequency_rate(3, 1_500_000) == 2.0
    assert frequency_rate(0, 200_000) == 0.0
    assert frequency_rate(2, 0) is None and frequency_rate(2, None) is None


def test_the_months_a_period_overlaps():
    assert months_overlapping(date(2026, 1, 31), date(2026, 3, 1)) == [(2026, 1), (2026, 2), (2026, 3)]
    assert months_overlapping(date(2025, 12, 15), date(2026, 1, 2)) == [(2025, 12), (2026, 1)]
    assert months_overlapping(date(2026, 5, 1), date(2026, 5, 31)) == [(2026, 5)]
    assert months_overlapping(date(2026, 5, 2), date(2026, 5, 1)) == []


def test_charts_are_svg_with_escaped_labels_and_round_axes():

    assert [nice_top(v) for v in (0, 1, 3, 7, 10, 11, 60, 101)] == [1, 1, 5, 10, 10, 20, 100, 200]
    svg = stacked_bars("Incidents <per week>", [Bar("<b>1 Jan</b>", {"P1": 2, "P4": 1}), Bar("8 Jan", {})],
                       ["P1", "P4"], {"P1": "sev-p1", "P4": "sev-p4"})
    assert svg.startswith("<svg") and 'aria-label="Incidents &lt;per week&gt;"' in svg
    assert "<b>" not in svg and "&lt;b&gt;1 Jan&lt;/b&gt;" in svg
    assert svg.count("<rect") == 2 and "2 P1" in svg and "style=" not in svg  # no inline styles (the CSP)

"""Validation of the report's answer keys (REFERENCE section 5), shared by the form and the API."""
from datetime import UTC, datetime, timedelta

import pytest

from webapp.rules.answers import ReportInvalid, validate_report

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
SITES = {"SYD", "MAN"}


def check(raw, default_site="SYD"):
    return validate_report(raw, now=NOW, site_codes=SITES, default_site=default_site)


def errors_of(raw, **kw):
    with pytest.raises(ReportInvalid) as caught:
        check(raw, **kw)
    return caught.value


MINIMAL = {"description": "Oil on the floor", "what_happened": ["hazard"]}


def test_minimal_report_gets_defaults():
    report = check(dict(MINIMAL))
    assert report.site == "SYD"
    assert report.occurred_at == NOW
    assert len(report.client_id) == 36
    assert report.answers == {"what_happened": ["hazard"]}
    assert report.confidential is False


@pytest.mark.parametrize("raw, key, message", [
    ({**MINIMAL, "colour": "red"}, "colour", "not a known answer key"),
    ({**MINIMAL, "what_happened": ["hazard", "alien"]}, "what_happened", "'alien' is not one of"),
    ({**MINIMAL, "treatment": "surgery"}, "treatment", "must be one of"),
    ({**MINIMAL, "injured_person": 3}, "injured_person", "must be one of"),
    ({**MINIMAL, "days_unfit_for_work": "three"}, "days_unfit_for_work", "whole number"),
    ({**MINIMAL, "days_unfit_for_work": 2.5}, "days_unfit_for_work", "whole number"),
    ({**MINIMAL, "days_unfit_for_work": True}, "days_unfit_for_work", "whole number"),
    ({**MINIMAL, "days_unfit_for_work": -1}, "days_unfit_for_work", "between 0"),
    ({**MINIMAL, "spill_litres": "lots"}, "spill_litres", "must be a number"),
    ({**MINIMAL, "ransomware": "yes"}, "ransomware", "true or false"),
    ({**MINIMAL, "client_id": "not-a-uuid"}, "client_id", "UUID"),
    ({**MINIMAL, "occurred_at": "yesterday"}, "occurred_at", "ISO 8601"),
    ({**MINIMAL, "occurred_at": "2026-03-01T10:00:00"}, "occurred_at", "UTC offset"),
    ({**MINIMAL, "site": "PER"}, "site", "unknown site"),
    ({**MINIMAL, "location": {"lat": 200, "lon": 0}}, "location", "lat must be"),
    ({**MINIMAL, "location": {"lat": 1, "lon": 2, "alt": 3}}, "location", "{lat, lon, accuracy_m}"),
    ({**MINIMAL, "description": "x" * 5001}, "description", "at most 5000"),
    ({**MINIMAL, "description": 42}, "description", "must be text"),
    ({"what_happened": ["hazard"]}, "description", "is required"),
    ({"description": "   ", "what_happened": ["hazard"]}, "description", "is required"),
    ({"description": "x"}, "what_happened", "choose at least one"),
    ({**MINIMAL, "what_happened": "hazard,injury"}, "what_happened", "is not one of"),
])
def test_bad_values_name_their_key(raw, key, message):
    error = errors_of(raw)
    assert error.status == 400
    assert key in error.fields
    assert message in error.fields[key]


def test_all_bad_keys_are_reported_at_once():
    error = errors_of({"what_happened": ["x"], "treatment": "y", "extra": 1})
    assert set(error.fields) == {"what_happened", "treatment", "extra", "description"}


def test_not_a_json_object():
    assert errors_of(["a", "list"]).fields == {"": "the report must be a JSON object"}


@pytest.mark.parametrize("extra, key", [
    ({"occurred_at": (NOW + timedelta(hours=1)).isoformat()}, "occurred_at"),
    ({"submitted_at": (NOW + timedelta(hours=1)).isoformat()}, "submitted_at"),
    ({"occurred_at": "2026-03-01T10:00:00+00:00", "submitted_at": "2026-03-01T09:00:00+00:00"}, "submitted_at"),
    ({"ransom_paid_at": (NOW + timedelta(days=1)).isoformat()}, "ransom_paid_at"),
])
def test_impossible_times_are_422(extra, key):
    error = errors_of({**MINIMAL, **extra})
    assert error.status == 422
    assert key in error.fields


def test_no_site_and_no_home_site():
    assert "site" in errors_of(dict(MINIMAL), default_site=None).fields


def test_small_clock_skew_is_tolerated_and_clamped():
    ahead = (NOW + timedelta(minutes=2)).isoformat()
    report = check({**MINIMAL, "occurred_at": ahead, "submitted_at": ahead})
    assert report.occurred_at == NOW and report.submitted_at == NOW


def test_values_are_normalised():
    report = check({**MINIMAL, "what_happened": ["security", "hazard", "hazard"], "description": "  trim me ",
                    "client_id": "6F1C1E5E-4F59-4C43-9D4C-7B4C6C0B1E11", "people_affected": 0,
                    "location": {"lat": -33.9, "lon": 151.2, "accuracy_m": 12},
                    "occurred_at": "2026-03-01T10:00:00Z", "treatment": None})
    assert report.answers["what_happened"] == ["hazard", "security"]
    assert report.description == "trim me"
    assert report.client_id == "6f1c1e5e-4f59-4c43-9d4c-7b4c6c0b1e11"
    assert report.answers["people_affected"] == 0
    assert "treatment" not in report.answers  # null counts as not given
    assert report.location == {"lat": -33.9, "lon": 151.2, "accuracy_m": 12.0}
    assert report.occurred_at == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_a_description_with_a_nul_character_is_named():
    with pytest.raises(ReportInvalid) as refused:
        validate_report({"description": "a\x00b", "what_happened": ["hazard"]}, now=NOW, site_codes={"SYD"},
                        default_site="SYD")
    assert refused.value.fields == {"description": "contains a NUL character, which text cannot hold"}

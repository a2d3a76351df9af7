"""Regulatory regimes as pure functions: which apply, why, and each step's deadline (REFERENCE 6)."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.common.calendar import add_business_days, add_local_days, add_months, is_business_day
from webapp.obligations.regimes import REGIMES, Facts, Rule, plan

UTC = UTC
SYD, LON = ZoneInfo("Australia/Sydney"), ZoneInfo("Europe/London")
AWARE = datetime(2026, 11, 18, 22, 0, tzinfo=UTC)  # Thursday 19 Nov 2026, 09:00 in Sydney
OCCURRED = AWARE - timedelta(hours=1)
ZONES = {"AU-NSW": "Australia/Sydney", "AU-VIC": "Australia/Melbourne", "AU-QLD": "Australia/Brisbane",
         "UK": "Europe/London", "EU": "Europe/Paris"}


def facts(jurisdiction="AU-NSW", profile=(), severity="P2", **answers):
    return Facts(answers=answers, jurisdiction=jurisdiction, timezone=ZONES[jurisdiction],
                 profile={flag: True for flag in profile}, aware_at=AWARE, occurred_at=OCCURRED, severity=severity)


def steps(f: Facts) -> dict[str, object]:
    """{"REGIME:step": deadline, or "not required: ...", or "waits: ..."}"""
    out = {}
    for p in plan(f):
        out[f"{p.regime}:{p.step}"] = (f"not required: {p.not_required}" if p.not_required else
                                       f"waits: {p.waiting_for}" if p.waiting_for else p.deadline)
    return out


# ---- work health and safety ----

def test_a_hospital_admission_in_nsw_is_notifiable_now_with_the_site_preserved():
    f = facts(what_happened=["injury"], injured_person="worker", treatment="hospital_admitted", injuries=["fracture"])
    assert steps(f) == {"AU-WHS:notify": AWARE, "AU-WHS:written": "waits: the regulator asks for written notice",
                        "AU-WHS:preserve": None, "AU-WHS:record": None}
    [notify] = [p for p in plan(f) if p.step == "notify"]
    assert notify.urgent and notify.reasons == ("admission to hospital as an in-patient is a serious injury",)
    assert notify.rule == "immediately (due when the organisation became aware)"


def test_written_notice_is_due_48_hours_after_the_regulator_asks():
    asked = AWARE + timedelta(hours=3)
    f = Facts(**{**facts(what_happened=["injury"], treatment="fatality").__dict__,
                 "events": {"regulator_asked": asked}})
    assert steps(f)["AU-WHS:written"] == asked + timedelta(hours=48)


@pytest.mark.parametrize("answers, notifiable", [
    ({"treatment": "emergency_discharged", "injuries": ["fracture"]}, False),  # same-day discharge: not notifiable
    ({"treatment": "emergency_discharged", "injuries": ["serious_eye"]}, True),  # a serious injury treated
    ({"treatment": "medical", "injuries": ["crush_head_torso"]}, False),  # crush counts only with admission
    ({"treatment": "first_aid", "injuries": ["serious_laceration"]}, False),  # first aid is not treatment
    ({"treatment": "medical", "injuries": ["substance_exposure"]}, True),
    ({"treatment": "fatality"}, True),
])
def test_which_injuries_whs_makes_notifiable(answers, notifiable):
    assert ("AU-WHS:notify" in steps(facts(what_happened=["injury"], **answers))) is notifiable


def test_an_extra_low_voltage_shock_is_not_a_dangerous_incident():
    # The form only offers "electric shock (above extra-low voltage)"; a tingle from a 12 V lead is
    # reported as an injury treated with first aid, and nothing is notifiable.
    assert steps(facts(what_happened=["injury"], treatment="first_aid", dangerous_events=[])) == {}
    shock = facts(what_happened=["dangerous_event"], dangerous_events=["electric_shock"])
    assert steps(shock)["AU-WHS:notify"] == AWARE
    assert plan(shock)[0].reasons == ("electric shock (above extra-low voltage) is a dangerous incident (WHS s37)",)


def test_victoria_has_its_own_regime_with_a_written_record_in_every_case():
    f = facts("AU-VIC", what_happened=["injury"], treatment="hospital_admitted")
    assert steps(f) == {"AU-VIC-OHS:notify": AWARE, "AU-VIC-OHS:written": AWARE + timedelta(hours=48),
                        "AU-VIC-OHS:record": None}


# ---- data breaches ----

def test_an_eligible_data_breach_with_serious_harm_needs_a_statement_and_notices_as_soon_as_practicable():
    f = facts(profile=["privacy_act_covered"], what_happened=["data_breach"], personal_data="yes",
              likely_serious_harm="yes", data_encrypted=True)
    assert steps(f) == {"AU-NDB:assess": AWARE + timedelta(days=30), "AU-NDB:oaic": None, "AU-NDB:individuals": None}
    assert all(p.urgent for p in plan(f) if p.step != "assess")
    assert "encryption alone does not contain it" in plan(f)[0].reasons[1]


def test_a_suspected_breach_waits_for_the_assessment_and_a_harmless_one_needs_no_statement():
    unknown = facts(profile=["privacy_act_covered"], what_happened=["data_breach"], personal_data="unknown")
    assert steps(unknown)["AU-NDB:oaic"] == "waits: the assessment of whether serious harm is likely"
    harmless = facts(profile=["privacy_act_covered"], what_happened=["data_breach"], personal_data="yes",
                     likely_serious_harm="no")
    assert steps(harmless)["AU-NDB:oaic"] == "not required: serious harm is not likely, so a statement is not required"


def test_a_breach_whose_harm_was_contained_is_not_an_eligible_data_breach():
    f = facts(profile=["privacy_act_covered"], what_happened=["data_breach"], personal_data="yes",
              harm_contained=True, likely_serious_harm="no")
    assert "AU-NDB:assess" not in steps(f)


def test_gdpr_at_a_uk_site_notifies_the_ico_within_72_hours_whatever_the_profile():
    f = facts("UK", what_happened=["data_breach"], personal_data="yes", likely_serious_harm="yes")
    assert steps(f) == {"GDPR:authority": AWARE + timedelta(hours=72), "GDPR:individuals": None, "GDPR:record": None}
    assert plan(f)[0].what == "Notify the ICO"


def test_gdpr_needs_no_report_when_contained_and_unlikely_to_harm_but_the_breach_is_still_recorded():
    f = facts("EU", what_happened=["data_breach"], personal_data="yes", harm_contained=True,
              likely_serious_harm="no")
    result = steps(f)
    assert result["GDPR:authority"].startswith("not required: the harm is contained")
    assert result["GDPR:individuals"].startswith("not required")
    assert result["GDPR:record"] is None and [p for p in plan(f) if p.step == "record"][0].not_required is None


def test_gdpr_does_not_apply_in_australia_without_the_controller_flag():
    assert not any(k.startswith("GDPR") for k in steps(facts(what_happened=["data_breach"], personal_data="yes")))
    assert "GDPR:authority" in steps(facts(profile=["gdpr_controller"], what_happened=["data_breach"],
                                           personal_data="yes"))


# ---- security and critical infrastructure ----

def test_apra_hears_of_security_incidents_within_72_hours():
    assert steps(facts(profile=["apra_regulated"], what_happened=["security"])) == {
        "AU-APRA-CPS234:notify": AWARE + timedelta(hours=72)}
    assert steps(facts(profile=["apra_regulated"], what_happened=["other"], ransomware=True)) == {
        "AU-APRA-CPS234:notify": AWARE + timedelta(hours=72)}


@pytest.mark.parametrize("answers, expected", [
    ({"essential_service_disrupted": True}, {"AU-SOCI:notify": AWARE + timedelta(hours=12),
                                             "AU-SOCI:written": AWARE + timedelta(hours=84)}),
    ({"service_impact": "organisation"}, {"AU-SOCI:notify": AWARE + timedelta(hours=12),
                                          "AU-SOCI:written": AWARE + timedelta(hours=84)}),
    ({"service_impact": "team"}, {"AU-SOCI:notify": AWARE + timedelta(hours=72)}),
    ({"service_impact": "single_user"}, {}),
])
def test_soci_significant_and_relevant_impact(answers, expected):
    assert steps(facts(profile=["soci_entity"], what_happened=["security"], **answers)) == expected


def test_a_ransom_payment_is_reported_within_72_hours_of_paying():
    paid = AWARE + timedelta(days=2)
    f = facts(profile=["privacy_act_covered"], what_happened=["security"], ransomware=True, ransom_paid=True,
              ransom_paid_at=paid.isoformat())
    assert steps(f)["AU-CYBER-RANSOM:report"] == paid + timedelta(hours=72)
    no_date = facts(profile=["soci_entity"], what_happened=["security"], ransomware=True, ransom_paid=True)
    assert steps(no_date)["AU-CYBER-RANSOM:report"] == AWARE + timedelta(hours=72)
    small = facts(what_happened=["security"], ransomware=True, ransom_paid=True)  # under A$3M, not SOCI
    assert steps(small) == {}


def test_uk_nis_and_eu_nis2():
    assert steps(facts("UK", profile=["nis_operator"], what_happened=["service_outage"],
                       essential_service_disrupted=True)) == {"UK-NIS:notify": AWARE + timedelta(hours=72)}
    nis2 = facts("EU", profile=["nis2_entity"], what_happened=["service_outage"], service_impact="organisation")
    assert steps(nis2) == {"EU-NIS2:early_warning": AWARE + timedelta(hours=24),
                           "EU-NIS2:notification": AWARE + timedelta(hours=72),
                           "EU-NIS2:final": "waits: the notification is made"}
    notified = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    later = Facts(**{**nis2.__dict__, "events": {"notification": notified}})
    assert steps(later)["EU-NIS2:final"] == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # one month, short February


# ---- environment ----

def test_a_spill_into_a_nsw_drain_is_notified_to_the_epa_immediately():
    assert steps(facts(what_happened=["environmental"], spill_litres=300, reached_drain_or_waterway=True)) == {
        "AU-NSW-POEO:notify": AWARE}
    assert steps(facts(what_happened=["environmental"], spill_litres=2)) == {}
    assert steps(facts("AU-QLD", what_happened=["environmental"], reached_drain_or_waterway=True)) == {}


# ---- RIDDOR ----

def test_a_specified_injury_is_notified_without_delay_and_reported_within_10_days():
    f = facts("UK", what_happened=["injury"], injured_person="worker", treatment="hospital_admitted",
              injuries=["fracture"])
    assert steps(f) == {"UK-RIDDOR:notify": AWARE, "UK-RIDDOR:report": OCCURRED + timedelta(days=10),
                        "UK-RIDDOR:record": None}


def test_an_over_seven_day_injury_alone_is_reported_within_15_days():
    f = facts("UK", what_happened=["injury"], injured_person="contractor", treatment="medical",
              injuries=["fracture_digit"], days_unfit_for_work=8)
    assert steps(f) == {"UK-RIDDOR:report": OCCURRED + timedelta(days=15), "UK-RIDDOR:record": None}
    seven = facts("UK", what_happened=["injury"], treatment="medical", days_unfit_for_work=7)
    assert steps(seven) == {}


def test_the_public_count_only_when_taken_to_hospital_from_the_scene():
    taken = facts("UK", what_happened=["injury"], injured_person="public", treatment="emergency_discharged",
                  taken_to_hospital_from_scene=True)
    assert "UK-RIDDOR:notify" in steps(taken)
    assert steps(facts("UK", what_happened=["injury"], injured_person="public", treatment="first_aid")) == {}


def test_riddor_days_count_in_local_time_across_the_clocks_going_back():
    # Occurred 09:00 BST on Thursday 22 Oct 2026; clocks go back on Sunday 25 Oct: due 09:00 GMT on 1 Nov.
    occurred = datetime(2026, 10, 22, 9, 0, tzinfo=LON)
    f = Facts(answers={"what_happened": ["dangerous_event"], "dangerous_events": ["structure_collapse"]},
              jurisdiction="UK", timezone="Europe/London", profile={}, aware_at=occurred, occurred_at=occurred)
    assert steps(f)["UK-RIDDOR:report"] == datetime(2026, 11, 1, 9, 0, tzinfo=LON)
    assert steps(f)["UK-RIDDOR:report"] - occurred == timedelta(days=10, hours=1)


# ---- customer contracts ----

@pytest.mark.parametrize("severity, what, due", [
    ("P1", ["injury"], AWARE + timedelta(minutes=15)),
    ("P2", ["injury"], AWARE + timedelta(hours=1)),
    ("P3", ["service_outage"], AWARE + timedelta(hours=4)),
    ("P4", ["security"], AWARE + timedelta(hours=1)),  # security: within 1 h whatever the severity
    ("P1", ["security"], AWARE + timedelta(minutes=15)),  # ... unless the severity asks for sooner
    ("P4", ["hazard"], datetime(2026, 11, 21, 0, 0, tzinfo=SYD)),  # next business day: end of Friday
])
def test_customer_notice_windows(severity, what, due):
    assert steps(facts(profile=["customer_contract"], severity=severity, what_happened=what))["CUSTOMER:notify"] == due


# ---- calendars ----

def test_business_days_skip_weekends_and_public_holidays():
    friday = datetime(2026, 12, 24, 16, 0, tzinfo=SYD)  # Christmas Eve, a Thursday; then Christmas, Boxing Day
    assert not is_business_day(date(2026, 12, 25), "AU-NSW") and not is_business_day(date(2026, 12, 28), "AU-NSW")
    # Fri 25 Dec (holiday), Sat, Sun, Mon 28 Dec (Boxing Day observed) are skipped: Tue 29, Wed 30, Thu 31.
    assert add_business_days(friday, 3, "Australia/Sydney", "AU-NSW") == datetime(2027, 1, 1, 0, 0, tzinfo=SYD)
    weekend = datetime(2026, 11, 21, 10, 0, tzinfo=SYD)  # Saturday
    assert add_business_days(weekend, 1, "Australia/Sydney", "AU-NSW") == datetime(2026, 11, 24, 0, 0, tzinfo=SYD)
    # The same dates in England: Boxing Day observed falls on Monday 28 Dec there too.
    assert add_business_days(datetime(2026, 12, 24, 16, 0, tzinfo=LON), 1, "Europe/London", "UK") == \
        datetime(2026, 12, 30, 0, 0, tzinfo=LON)


def test_business_days_across_a_daylight_saving_change_end_at_local_midnight():
    # Sydney moves to daylight time on Sunday 4 Oct 2026; Monday 5 Oct is Labour Day (NSW).
    friday = datetime(2026, 10, 2, 15, 0, tzinfo=SYD)
    due = add_business_days(friday, 1, "Australia/Sydney", "AU-NSW")
    assert due == datetime(2026, 10, 7, 0, 0, tzinfo=SYD) and due.astimezone(SYD).utcoffset() == timedelta(hours=11)


def test_calendar_days_and_months():
    start = datetime(2026, 4, 3, 9, 30, tzinfo=SYD)  # daylight saving ends on 5 April
    assert add_local_days(start, 10, "Australia/Sydney").astimezone(SYD).hour == 9
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 1) == datetime(2027, 1, 15, tzinfo=UTC)


def test_every_regime_has_a_reviewable_description_and_every_step_a_rule_in_words():
    assert len({r.id for r in REGIMES}) == len(REGIMES) == 12
    everything = facts(profile=["privacy_act_covered", "apra_regulated", "soci_entity", "gdpr_controller",
                                "nis_operator", "nis2_entity", "customer_contract"])
    for regime in REGIMES:
        assert regime.applies_when and regime.name
        for step in regime.steps(everything):
            assert step.rule.describe() and step.what


@pytest.mark.parametrize("rule, words", [
    (Rule("immediately"), "immediately (due when the organisation became aware)"),
    (Rule("minutes", 30), "within 30 min of becoming aware"),
    (Rule("hours", 72), "within 72 h of becoming aware"),
    (Rule("hours", 24, start="ransom_paid_at"), "within 24 h of paying the ransom"),
    (Rule("days", 10, start="occurred_at"), "within 10 days of the incident"),
    (Rule("business_days", 1), "within 1 business day"),
    (Rule("business_days", 2), "within 2 business days"),
    (Rule("months", 1, start="notification"), "within 1 month of the notification being made"),
    (Rule("months", 3, start="regulator_asked"), "within 3 months of the regulator asking"),
    (Rule("practicable"), "as soon as practicable (no fixed time: treat as urgent)"),
    (Rule("until"), "until it is released"),
    (Rule("keep", 5), "keep for 5 years"),
    (Rule("hours", 1, words="by the end of the next business day"), "by the end of the next business day"),
])
def test_each_rule_says_its_deadline_in_words_a_supervisor_can_act_on(rule, words):
    """What the obligation cards and the regulator packs show; it used to be checked only for being there."""
    assert rule.describe() == words


def test_a_specified_injury_with_more_than_7_days_off_is_notified_without_delay_not_only_reported():
    """A fracture (not a finger's) with 8 days off work is a specified injury as well as an over-7-day one:
    the HSE is told without delay and sent the report within 10 days, not only within 15."""
    f = facts("UK", what_happened=["injury"], injured_person="worker", treatment="medical",
              injuries=["fracture"], days_unfit_for_work=8)
    assert steps(f) == {"UK-RIDDOR:notify": AWARE, "UK-RIDDOR:report": OCCURRED + timedelta(days=10),
                        "UK-RIDDOR:record": None}


@pytest.mark.parametrize("contained, serious", [(True, "yes"), (False, "no"), (False, "yes"), (True, "unknown")])
def test_the_regulator_is_spared_only_when_the_harm_is_contained_and_serious_harm_unlikely(contained, serious):
    f = facts("UK", what_happened=["data_breach"], personal_data="yes", harm_contained=contained,
              likely_serious_harm=serious)
    assert steps(f)["GDPR:authority"] == AWARE + timedelta(hours=72), (contained, serious)


@pytest.mark.parametrize("jurisdiction, regime, years", [("AU-VIC", "AU-VIC-OHS", 5), ("AU-NSW", "AU-WHS", 5),
                                                         ("UK", "UK-RIDDOR", 3)])
def test_records_are_kept_for_the_years_the_regulator_sets(jurisdiction, regime, years):
    f = facts(jurisdiction, what_happened=["injury"], treatment="hospital_admitted", injured_person="worker",
              injuries=["fracture"])
    [chosen] = [r for r in REGIMES if r.id == regime]
    [record] = [s for s in chosen.steps(f) if s.key == "record"]
    assert record.rule.kind == "keep" and record.rule.amount == years
    assert record.rule.describe() == f"keep for {years} years"

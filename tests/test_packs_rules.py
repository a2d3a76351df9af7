"""Regulator packs as pure functions: for each notification, the facts the regulator's form asks for, filled
from the incident, with what is still missing named (REFERENCE sections 5 and 6). No app, no database."""
from datetime import UTC, datetime, timedelta

import pytest

from webapp.rules.packs import GENERAL, Pack, PackFacts, local_time, pack_for, riddor_kinds, whs_incident_types

UTC = UTC
OCCURRED = datetime(2026, 8, 3, 3, 50, tzinfo=UTC)  # Mon 3 Aug 2026: 13:50 in Sydney, 04:50 in London
AWARE = OCCURRED + timedelta(minutes=15)
REPORTED = AWARE + timedelta(minutes=5)
PLACES = {
    "AU-NSW": ("Parramatta depot", "PAR", "Australia/Sydney"),
    "AU-VIC": ("Dandenong yard", "DAN", "Australia/Melbourne"),
    "UK": ("Leeds warehouse", "LDS", "Europe/London"),
    "EU": ("Lyon plant", "LYO", "Europe/Paris"),
}
GENERAL_HEADINGS = ["Who is notifying", "Where and when", "What happened", "Response"]


def facts(jurisdiction="AU-NSW", *, contact="Ana Ruiz <ana@example.com>", causes=None, measures=(),
          notified_at=None, location=None, description="Forklift tipped over while lifting a pallet",
          categories=("safety",), severity="P2", **answers) -> PackFacts:
    site_name, site_code, zone = PLACES[jurisdiction]
    return PackFacts(
        reference="INC-000042", organisation="Acme Pty Ltd", site_name=site_name, site_code=site_code,
        jurisdiction=jurisdiction, timezone=zone, occurred_at=OCCURRED, aware_at=AWARE, reported_at=REPORTED,
        description=description, answers=answers, categories=categories, severity=severity, location=location,
        contact=contact, causes=causes, measures=tuple(measures), notified_at=notified_at)


def values(pack: Pack) -> dict[str, str | None]:
    found = {field.label: field.value for section in pack.sections for field in section.fields}
    assert len(found) == sum(len(section.fields) for section in pack.sections), "labels repeat within a pack"
    return found


def missing_text(pack: Pack, label: str) -> str:
    [field] = [f for section in pack.sections for f in section.fields if f.label == label]
    assert field.value is None
    return field.missing


# ---- work health and safety ----

def test_a_hospital_admission_in_nsw_fills_the_safework_notice_and_names_the_personal_details_to_find():
    pack = pack_for("AU-WHS", facts(what_happened=["injury"], injured_person="worker",
                                    treatment="hospital_admitted", injuries=["fracture"]))
    got = values(pack)
    assert pack.regulator == "SafeWork NSW" and pack.title == "Notifiable incident notice to SafeWork NSW"
    assert "13 10 50" in pack.where and "https://www.safework.nsw.gov.au" in pack.where
    assert "ss35-38" in pack.source
    assert got["Name of the person notifying"] == "Ana Ruiz"
    assert got["Email of the person notifying"] == "ana@example.com"
    assert got["Business or undertaking (PCBU)"] == "Acme Pty Ltd"
    assert got["Workplace (site)"] == "Parramatta depot (PAR)"
    assert got["Date and time it happened"] == "Mon 3 Aug 2026, 13:50 AEST (+10:00)"
    assert got["Date and time the business became aware"] == "Mon 3 Aug 2026, 14:05 AEST (+10:00)"
    assert got["Type of notifiable incident"] == "Serious injury or illness"
    assert got["Why it is notifiable"] == "Admission to hospital as an in-patient is a serious injury"
    assert got["What happened"] == "Forklift tipped over while lifting a pallet"
    assert got["Kind of dangerous incident"] == "None reported"
    assert got["Worker or other person"] == "A worker"
    assert got["Injury or illness"] == "Broken bone (not finger, thumb or toe)"
    assert got["Treatment"] == "Admitted to hospital"
    assert pack.missing == [
        "Phone of the person notifying", "Workplace street address", "Where on the site",
        "Injured person's full name", "Injured person's date of birth", "Injured person's occupation",
        "Site left undisturbed until an inspector releases it",
    ]
    assert missing_text(pack, "Injured person's date of birth") == (
        "The injured person's date of birth: not collected by the report")


def test_a_death_is_a_death_and_a_dangerous_incident_with_nobody_hurt_has_no_injured_person():
    death = pack_for("AU-WHS", facts(what_happened=["injury"], injured_person="contractor", treatment="fatality"))
    assert values(death)["Type of notifiable incident"] == "Death"
    assert values(death)["Worker or other person"] == "A contractor"

    collapse = pack_for("AU-WHS", facts("AU-NSW", what_happened=["dangerous_event"],
                                        dangerous_events=["structure_collapse"], location=(-33.8141, 151.0018)))
    got = values(collapse)
    assert got["Type of notifiable incident"] == "Dangerous incident"
    assert got["Why it is notifiable"] == "A structure collapsed is a dangerous incident"
    assert got["Kind of dangerous incident"] == "A structure collapsed"
    assert got["Injured person"] == "Nobody was reported hurt"
    assert got["Where on the site"] == "GPS -33.81410, 151.00180 (from the report)"
    assert collapse.missing == ["Phone of the person notifying", "Workplace street address",
                                "Site left undisturbed until an inspector releases it"]


@pytest.mark.parametrize("answers, expected", [
    ({"treatment": "fatality", "dangerous_events": ["fire_explosion"]}, ["Death", "Dangerous incident"]),
    ({"treatment": "medical", "injuries": ["serious_burn"]}, ["Serious injury or illness"]),
    ({"treatment": "emergency_discharged", "injuries": ["fracture"]}, []),  # a fracture counts only with admission
    ({"treatment": "first_aid"}, []),
])
def test_the_whs_type_of_incident_is_read_from_the_answers(answers, expected):
    assert whs_incident_types(answers) == expected


def test_an_injury_that_is_not_notifiable_leaves_the_type_missing_with_a_reason():
    pack = pack_for("AU-WHS", facts(what_happened=["injury"], injured_person="worker",
                                    treatment="emergency_discharged", injuries=["fracture"]))
    assert "Type of notifiable incident" in pack.missing
    assert "check whether it is notifiable at all" in missing_text(pack, "Type of notifiable incident")


def test_victoria_uses_the_same_facts_for_worksafe_in_melbourne_time():
    pack = pack_for("AU-VIC-OHS", facts("AU-VIC", what_happened=["injury"], injured_person="worker",
                                        treatment="medical", injuries=["serious_laceration"]))
    got = values(pack)
    assert pack.regulator == "WorkSafe Victoria" and "13 23 60" in pack.where and "s38" in pack.source
    assert got["Employer or self-employed person"] == "Acme Pty Ltd"
    assert "Business or undertaking (PCBU)" not in got
    assert got["Type of notifiable incident"] == "Serious injury or illness"
    assert got["Injury or illness"] == "Serious cut (laceration)"
    assert got["Date and time it happened"] == "Mon 3 Aug 2026, 13:50 AEST (+10:00)"


# ---- RIDDOR ----

def test_a_riddor_over_seven_day_injury_says_so_and_names_the_injured_persons_details_to_find():
    pack = pack_for("UK-RIDDOR", facts("UK", what_happened=["injury"], injured_person="worker",
                                       treatment="medical", injuries=["fracture_digit"], days_unfit_for_work=10))
    got = values(pack)
    assert pack.regulator == "Health and Safety Executive (HSE)" and pack.title == "RIDDOR report to the HSE"
    assert "https://www.hse.gov.uk/riddor/report.htm" in pack.where and "F2508" in pack.source
    assert got["Kind of report"] == "Over-7-day incapacity"
    assert got["Why it is reportable"] == "More than 7 days unfit for work is reportable"
    assert got["Date and time of the incident"] == "Mon 3 Aug 2026, 04:50 BST (+01:00)"
    assert got["Worker or member of the public"] == "Worker: an employee"
    assert got["Kind of injury"] == "Broken finger, thumb or toe"
    assert got["Taken to hospital"] == "No"
    assert got["Time off work or unable to do normal work"] == (
        "10 days expected (over 7 days, not counting the day of the accident)")
    assert got["Kind of dangerous occurrence"] == "None reported"
    assert pack.missing == [
        "Phone of the person reporting", "Organisation's address and postcode", "Site address and postcode",
        "Local authority area", "Where on the site", "Injured person's full name",
        "Injured person's home address and postcode", "Injured person's occupation or job title",
        "Injured person's gender", "Injured person's age", "Part of the body injured", "Kind of accident",
    ]
    assert missing_text(pack, "Part of the body injured") == "The part of the body injured: not collected by the report"


def test_a_member_of_the_public_taken_to_hospital_is_reportable_with_no_days_off_work():
    pack = pack_for("UK-RIDDOR", facts("UK", what_happened=["injury"], injured_person="public",
                                       treatment="emergency_discharged", taken_to_hospital_from_scene=True))
    got = values(pack)
    assert got["Kind of report"] == "Member of the public taken to hospital"
    assert got["Worker or member of the public"] == "Member of the public (not at work)"
    assert got["Taken to hospital"] == "Yes: taken to hospital from the scene"
    assert got["Time off work or unable to do normal work"] == "Not applicable: a member of the public"
    assert "Kind of injury" in pack.missing  # the report listed no injury


def test_a_dangerous_occurrence_has_no_injured_person_to_describe():
    pack = pack_for("UK-RIDDOR", facts("UK", what_happened=["dangerous_event"], dangerous_events=["plant_failure"],
                                       location=(53.7960, -1.5479)))
    got = values(pack)
    assert got["Kind of report"] == "Dangerous occurrence"
    assert got["Why it is reportable"] == "Plant collapsed, overturned or failed is a dangerous occurrence"
    assert got["Kind of dangerous occurrence"] == "Plant collapsed, overturned or failed"
    assert got["Injured person"] == "Nobody was reported hurt"
    assert "Part of the body injured" not in got
    assert pack.missing == ["Phone of the person reporting", "Organisation's address and postcode",
                            "Site address and postcode", "Local authority area"]


@pytest.mark.parametrize("answers, expected", [
    ({"injured_person": "worker", "injuries": ["fracture"], "days_unfit_for_work": 30}, ["Specified injury"]),
    ({"injured_person": "worker", "days_unfit_for_work": 7}, []),
    ({"injured_person": "contractor", "days_unfit_for_work": 8}, ["Over-7-day incapacity"]),
    ({"injured_person": "public", "injuries": ["fracture"]}, []),
    ({"injured_person": "public", "treatment": "fatality"}, ["Death"]),
    ({"dangerous_events": ["electric_shock"]}, ["Dangerous occurrence"]),
])
def test_the_riddor_kind_is_read_the_way_the_riddor_regime_reads_it(answers, expected):
    assert riddor_kinds(answers) == expected


# ---- notifiable data breaches ----

def test_an_ndb_statement_for_a_phishing_breach_fills_the_statement_and_asks_for_the_kinds_and_advice():
    pack = pack_for("AU-NDB", facts(
        what_happened=["security", "data_breach"], personal_data="yes", people_affected=1250, data_encrypted=False,
        harm_contained=False, likely_serious_harm="yes", categories=("security", "privacy"), severity="P1",
        description="Payroll mailbox accessed after a phishing email", causes="Phishing email; no MFA on the mailbox",
        measures=("Mailbox password reset (done)", "MFA for all staff (open)")))
    got = values(pack)
    assert pack.regulator == "Office of the Australian Information Commissioner (OAIC)"
    assert "s26WK(3)" in pack.source and "https://www.oaic.gov.au" in pack.where
    assert got["Organisation name"] == "Acme Pty Ltd"
    assert got["Description of the breach"] == "Payroll mailbox accessed after a phishing email"
    assert got["When it was discovered"] == "Mon 3 Aug 2026, 14:05 AEST (+10:00)"
    assert got["Cause"] == ("Malicious or criminal attack (reported as a security incident). "
                            "Causes found: Phishing email; no MFA on the mailbox")
    assert got["Number of individuals affected"] == "1,250"
    assert got["Encrypted"] == "No"
    assert got["Harm contained"] == "No: the likely harm has not been removed yet"
    assert got["Serious harm likely"] == "Yes: serious harm to the people affected is likely"
    assert got["Actions taken or planned"] == "Mailbox password reset (done); MFA for all staff (open)"
    assert pack.missing == ["Phone of the contact person", "Organisation's postal address",
                            "Kinds of personal information", "Steps individuals should take"]
    assert "not which kinds" in missing_text(pack, "Kinds of personal information")


def test_an_ndb_statement_with_unknown_personal_data_names_what_the_assessment_must_find():
    pack = pack_for("AU-NDB", facts(what_happened=["data_breach"], personal_data="unknown", data_encrypted=True,
                                    description="Laptop left on a train"))
    got = values(pack)
    assert got["Encrypted"] == "Yes (encryption alone does not contain the harm)"
    assert pack.missing == [
        "Phone of the contact person", "Organisation's postal address", "Cause", "Number of individuals affected",
        "Kinds of personal information", "Steps individuals should take", "Serious harm likely",
        "Actions taken or planned",
    ]
    assert "not known yet whether personal information was involved" in missing_text(
        pack, "Kinds of personal information")
    assert missing_text(pack, "Cause") == ("Whether it was a malicious or criminal attack, a system fault or human "
                                           "error: the investigation has not recorded causes yet")


# ---- GDPR ----

def gdpr_facts(jurisdiction="UK", notified_at=None):
    return facts(jurisdiction, what_happened=["data_breach"], personal_data="yes", people_affected=40,
                 harm_contained=False, likely_serious_harm="yes", description="Spreadsheet of staff sent to a supplier",
                 measures=("Supplier asked to delete it (open)",), notified_at=notified_at)


def test_a_gdpr_report_on_time_needs_no_reasons_for_delay():
    pack = pack_for("GDPR", gdpr_facts("UK", notified_at=AWARE + timedelta(hours=30)))
    got = values(pack)
    assert pack.regulator == "Information Commissioner's Office (ICO)" and pack.title.endswith("to the ICO")
    assert "https://ico.org.uk" in pack.where and "Art. 33" in pack.source
    assert got["Contact point for more information"] == "Ana Ruiz <ana@example.com>"
    assert got["When the organisation became aware"] == "Mon 3 Aug 2026, 05:05 BST (+01:00)"
    assert got["Approximate number of people affected"] == "40"
    assert got["Cyber incident"] == "No cyber attack reported"
    assert got["Measures taken or proposed"] == "Supplier asked to delete it (open)"
    assert got["Notified to the authority"] == "Tue 4 Aug 2026, 11:05 BST (+01:00) (30 h after becoming aware)"
    assert got["Reasons for the delay"] == "Not needed: notified within 72 h of becoming aware (30 h)"
    assert pack.missing == [
        "Data protection officer", "Categories of personal data", "Categories of people affected",
        "Approximate number of records", "Likely consequences for the people affected",
    ]
    assert missing_text(pack, "Data protection officer").startswith("The data protection officer's name and contact")


def test_a_late_gdpr_report_must_give_the_reasons_for_the_delay():
    pack = pack_for("GDPR", gdpr_facts("EU", notified_at=AWARE + timedelta(hours=80)))
    assert pack.regulator.startswith("The lead supervisory authority") and "ICO" not in pack.title
    assert values(pack)["Notified to the authority"] == (
        "Thu 6 Aug 2026, 14:05 CEST (+02:00) (80 h after becoming aware)")
    assert pack.missing[-1] == "Reasons for the delay"
    assert missing_text(pack, "Reasons for the delay").startswith(
        "Why the notification came 80 h after becoming aware, more than 72 h")


def test_exactly_72_hours_is_on_time_and_an_unsent_report_shows_when_reasons_become_needed():
    on_the_hour = pack_for("GDPR", gdpr_facts("UK", notified_at=AWARE + timedelta(hours=72)))
    assert "Reasons for the delay" not in on_the_hour.missing
    unsent = values(pack_for("GDPR", gdpr_facts("UK")))
    assert unsent["Notified to the authority"] == "Not yet"
    assert unsent["Reasons for the delay"] == ("Needed only if the notification is made more than 72 h after "
                                               "becoming aware, that is after Thu 6 Aug 2026, 05:05 BST (+01:00)")


# ---- every other regime ----

def test_a_soci_report_gets_the_common_facts_filled_from_the_incident():
    pack = pack_for("AU-SOCI", facts(
        what_happened=["security", "service_outage"], service_impact="organisation", essential_service_disrupted=True,
        categories=("security", "operations"), severity="P1", description="Ransomware encrypted the SCADA servers",
        causes="Unpatched VPN appliance", measures=("Plant run manually (done)",),
        notified_at=AWARE + timedelta(hours=6)))
    got = values(pack)
    assert [s.heading for s in pack.sections] == GENERAL_HEADINGS
    assert pack.regulator.endswith("(ACSC)") and "30BC" in pack.source
    assert got["Kind of incident"] == "Security, Service and operations"
    assert got["What happened"] == "Security: break-in, cyber attack, A service or system is down"
    assert got["Our severity"] == "P1 (Critical)"
    assert got["Impact"] == "Service affected: the whole organisation; an essential service is disrupted"
    assert got["Causes found so far"] == "Unpatched VPN appliance"
    assert got["When it was reported"] == "Mon 3 Aug 2026, 14:10 AEST (+10:00)"
    assert got["First notification made"] == "Mon 3 Aug 2026, 20:05 AEST (+10:00)"
    assert pack.missing == ["Phone of the contact person", "Where on the site"]


@pytest.mark.parametrize("regime", sorted(GENERAL))
def test_each_other_regime_gets_the_general_pack_with_its_own_regulator_and_source(regime):
    pack = pack_for(regime, facts(what_happened=["other"]))
    assert pack.regime == regime and [s.heading for s in pack.sections] == GENERAL_HEADINGS
    assert pack.source != "The common facts of an incident notification" and "https://" in pack.where
    assert "Causes found so far" in pack.missing and "Measures taken or planned" in pack.missing


def test_an_unknown_regime_id_gets_the_general_pack():
    pack = pack_for("XX-NEW", facts(what_happened=["other"], contact=None))
    assert pack.title == "Notification (XX-NEW)" and pack.regulator == "The regulator for this notification"
    assert [s.heading for s in pack.sections] == GENERAL_HEADINGS
    assert pack.missing[:3] == ["Name of the contact person", "Email of the contact person",
                                "Phone of the contact person"]
    assert "no incident commander is recorded" in missing_text(pack, "Name of the contact person")


def test_a_ransom_payment_report_gives_the_payment_time_in_the_sites_zone():
    paid = values(pack_for("AU-CYBER-RANSOM", facts(what_happened=["security"], ransomware=True, ransom_paid=True,
                                                    ransom_paid_at="2026-08-04T01:30:00+00:00")))
    assert paid["When the ransom was paid"] == "Tue 4 Aug 2026, 11:30 AEST (+10:00)"
    assert paid["Impact"] == "A ransom was paid"
    unpaid_time = pack_for("AU-CYBER-RANSOM", facts(what_happened=["security"], ransom_paid=True))
    assert "When the ransom was paid" in unpaid_time.missing


# ---- times ----

@pytest.mark.parametrize("moment, zone, expected", [
    (datetime(2026, 1, 15, 3, 5, tzinfo=UTC), "Australia/Sydney", "Thu 15 Jan 2026, 14:05 AEDT (+11:00)"),
    (datetime(2026, 1, 15, 3, 5, tzinfo=UTC), "Europe/London", "Thu 15 Jan 2026, 03:05 GMT (+00:00)"),
    (datetime(2026, 1, 15, 3, 5, tzinfo=UTC), "America/St_Johns", "Wed 14 Jan 2026, 23:35 NST (-03:30)"),
    (datetime(2026, 1, 15, 3, 5, tzinfo=UTC), "Not/AZone", "Thu 15 Jan 2026, 03:05 UTC (+00:00)"),
])
def test_times_render_in_the_sites_zone_with_their_offset(moment, zone, expected):
    assert local_time(moment, zone) == expected


def test_a_contact_with_only_an_email_leaves_the_name_missing():
    got = values(pack_for("AU-WHS", facts(contact="ops@example.com", what_happened=["dangerous_event"],
                                          dangerous_events=["fire_explosion"])))
    assert got["Name of the person notifying"] is None
    assert got["Email of the person notifying"] == "ops@example.com"

"""Regulator packs: for each regulatory notification an incident triggered, the facts the regulator's own
form asks for, filled from the incident, with what is still missing named. Pure: no Flask, no database.

One builder per regime with its own form (AU-WHS, AU-VIC-OHS, UK-RIDDOR, AU-NDB, GDPR); every other regime
gets the general pack of common facts. A field whose value is None is missing and says what to find out.
Labels are our own words for each form's questions; each pack cites the law or form its fields come from.
Facts the report never collects (names, dates of birth, addresses, body part, DPO) stay missing: never
invented. A summary to help fill in the regulator's form, not legal advice.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .answers import DANGEROUS_EVENTS, INJURED_PERSON, INJURIES, SERVICE_IMPACT, TREATMENT, WHAT_HAPPENED
from .classification import CATEGORIES, SEVERITY_NAMES
from .injuries import RIDDOR_SPECIFIED, riddor_reportable, whs_notifiable

GDPR_WINDOW = timedelta(hours=72)  # GDPR Art. 33(1): "where feasible, not later than 72 hours"


@dataclass(frozen=True)
class PackFacts:
    """What a pack is filled from: the incident, its answers, its investigation and its actions."""

    reference: str                     # "INC-000042"
    organisation: str                  # organisation name
    site_name: str
    site_code: str
    jurisdiction: str                  # "AU-NSW", "UK", "EU", ...
    timezone: str                      # IANA name of the site, e.g. "Australia/Sydney"
    occurred_at: datetime              # aware UTC datetimes
    aware_at: datetime
    reported_at: datetime
    description: str
    answers: Mapping[str, Any]         # REFERENCE section 5 keys, as stored (lists, bools, numbers, strings)
    categories: tuple[str, ...]
    severity: str                      # "P1".."P4"
    location: tuple[float, float] | None   # lat, lon
    contact: str | None                # "Name <email>" of the incident commander preparing it; None if nobody
    causes: str | None                 # the investigation's causes in words; None if not investigated
    measures: tuple[str, ...]          # actions taken or planned, in words (corrective actions, status updates)
    notified_at: datetime | None       # when this regime's first notification step was recorded done


@dataclass(frozen=True)
class PackField:
    label: str          # our own words for the regulator form's question
    value: str | None   # the answer in words; None = missing
    missing: str = ""   # when value is None: what to find out, in words


@dataclass(frozen=True)
class PackSection:
    heading: str
    fields: tuple[PackField, ...]


@dataclass(frozen=True)
class Pack:
    regime: str
    title: str          # e.g. "RIDDOR report to the HSE"
    regulator: str      # "Health and Safety Executive (HSE)"
    where: str          # where the regulator's own form is, in words with its public URL
    source: str         # the law or form the fields come from
    sections: tuple[PackSection, ...]

    @property
    def missing(self) -> list[str]:
        """Labels of every field still to be found out, in order."""
        return [field.label for section in self.sections for field in section.fields if field.value is None]


# ---- words and times ----

def local_time(moment: datetime, zone: str) -> str:
    """'Mon 3 Aug 2026, 14:05 AEST (+10:00)': a moment in the site's time zone, with its UTC offset."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC  # a site with a bad zone still gets a clear (UTC) time
    here = moment.astimezone(tz)
    offset = int((here.utcoffset() or timedelta(0)).total_seconds()) // 60
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{here:%a} {here.day} {here:%b %Y, %H:%M} {here.tzname()} ({sign}{hours:02d}:{minutes:02d})"


def _hours(delta: timedelta) -> str:
    """A length of time in hours, to compare with a window in hours: '45 min', '30 h', '80 h 15 min'."""
    hours, mins = divmod(max(int(delta.total_seconds()) // 60, 0), 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h {mins} min" if mins else f"{hours} h"


def _listed(table: Mapping[str, str], values: Any) -> str:
    """Answer values in words, joined: 'Serious burn, Loss of consciousness' ('' for none)."""
    return ", ".join(table.get(v, v) for v in values or [])


def _sentence(parts: list[str]) -> str:
    """Reasons joined into one line with a capital first letter ('' for none)."""
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _ask(label: str, value: str | None, missing: str) -> PackField:
    """A field with its answer, or missing with what to find out."""
    return PackField(label, value, "" if value is not None else missing)


def _never(label: str, what: str, why: str = "not collected by the report") -> PackField:
    """A fact the app never holds: always missing."""
    return PackField(label, None, f"{what}: {why}")


_CONTACT = re.compile(r"^\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]+)>\s*$")


def _contact(text: str | None) -> tuple[str | None, str | None]:
    """'Ana Ruiz <ana@example.com>' -> (name, email); either is None when not given."""
    if not text or not text.strip():
        return None, None
    match = _CONTACT.match(text)
    if match:
        return match["name"] or None, match["email"].strip() or None
    text = text.strip()
    return (None, text) if "@" in text else (text, None)


# ---- reading the answers ----

def _happened(answers: Mapping[str, Any], *kinds: str) -> bool:
    return any(kind in answers.get("what_happened", []) for kind in kinds)


def _hurt(answers: Mapping[str, Any]) -> bool:
    """Whether the report says someone was hurt (and so there is an injured person to describe)."""
    return (_happened(answers, "injury") or answers.get("treatment", "none") != "none"
            or bool(answers.get("injuries")) or "injured_person" in answers)


def whs_incident_types(answers: Mapping[str, Any]) -> list[str]:
    """The WHS type of notifiable incident (WHS Act s35): death, serious injury or illness, dangerous incident."""
    types = []
    if answers.get("treatment") == "fatality":
        types.append("Death")
    elif whs_notifiable(dict(answers)):
        types.append("Serious injury or illness")
    if answers.get("dangerous_events"):
        types.append("Dangerous incident")
    return types


def riddor_kinds(answers: Mapping[str, Any]) -> list[str]:
    """What a RIDDOR report is about, read the way the RIDDOR regime reads it (webapp/obligations/regimes.py).
    Over-7-day applies only when the injury is not a specified injury (as HSE's form says)."""
    person = answers.get("injured_person", "worker")
    kinds = []
    if answers.get("treatment") == "fatality":
        kinds.append("Death")
    elif person == "public":
        if answers.get("taken_to_hospital_from_scene"):
            kinds.append("Member of the public taken to hospital")
    elif any(injury in answers.get("injuries", []) for injury in RIDDOR_SPECIFIED):
        kinds.append("Specified injury")
    elif answers.get("days_unfit_for_work", 0) > 7:
        kinds.append("Over-7-day incapacity")
    if answers.get("dangerous_events"):
        kinds.append("Dangerous occurrence")
    return kinds


def _events(answers: Mapping[str, Any], label: str) -> list[str]:
    return [f"{DANGEROUS_EVENTS.get(e, e).lower()} is {label}" for e in answers.get("dangerous_events", [])]


def _dangerous_events(answers: Mapping[str, Any]) -> str:
    return _listed(DANGEROUS_EVENTS, answers.get("dangerous_events")) or "None reported"


def _cyber(answers: Mapping[str, Any]) -> bool:
    return _happened(answers, "security") or bool(answers.get("ransomware"))


# ---- fields shared by several packs ----

def _person(f: PackFacts, who: str) -> list[PackField]:
    """Name, email and phone of the person making the notification (the incident commander)."""
    name, email = _contact(f.contact)
    nobody = "no incident commander is recorded on the incident"
    return [
        _ask(f"Name of the {who}", name,
             f"Who is making the notification: {nobody if f.contact is None else 'the contact on record has no name'}"),
        _ask(f"Email of the {who}", email,
             f"An email address for the {who}: "
             + (nobody if f.contact is None else "the contact on record has no email address")),
        _never(f"Phone of the {who}", "A phone number the regulator can call back on", "not held by the app"),
    ]


def _reference(f: PackFacts) -> PackField:
    return PackField("Our incident reference", f.reference)


def _site(f: PackFacts) -> str:
    return f"{f.site_name} ({f.site_code})"


def _address(label: str) -> PackField:
    return _never(label, "The site's street address and postcode", "not held by the app (a site has a name and code)")


def _where_on_site(f: PackFacts) -> PackField:
    value = f"GPS {f.location[0]:.5f}, {f.location[1]:.5f} (from the report)" if f.location else None
    return _ask("Where on the site", value,
                "Where exactly on the site it happened: the report has no GPS position; take it from the description")


def _measures(f: PackFacts, label: str) -> PackField:
    return _ask(label, "; ".join(f.measures) or None,
                "What has been done or is planned: no actions or status updates are recorded yet")


def _causes(f: PackFacts) -> PackField:
    return _ask("Causes found so far", f.causes, "The causes: not investigated yet (record the investigation)")


def _people_affected(answers: Mapping[str, Any], label: str) -> PackField:
    count = answers.get("people_affected")
    return _ask(label, f"{count:,}" if isinstance(count, int) else None,
                "How many people's personal information is involved: not known yet (not given in the report)")


def _information_kinds(answers: Mapping[str, Any], label: str) -> PackField:
    """The kinds of personal information: the report says only whether there was any, so this is found out."""
    said = answers.get("personal_data")
    if said in (None, "no"):  # a key not given counts as "no" (REFERENCE section 5)
        return PackField(label, "None: the report says no personal information was involved")
    if said == "yes":
        why = "the report says personal information was involved but not which kinds"
    else:
        why = "the report says it is not known yet whether personal information was involved at all"
    return PackField(label, None, "Which kinds of personal information (for example contact details, identity "
                                  f"documents, financial or health information): {why}")


def _encrypted(answers: Mapping[str, Any]) -> str:
    if "data_encrypted" not in answers:
        return "Not stated in the report: treat it as not encrypted"
    return "Yes (encryption alone does not contain the harm)" if answers["data_encrypted"] else "No"


def _contained(answers: Mapping[str, Any]) -> str:
    if answers.get("harm_contained"):
        return "Yes: remedial action has removed the likely harm (for example the data was wiped or deleted)"
    return "No: the likely harm has not been removed yet"


def _serious_harm(answers: Mapping[str, Any], label: str) -> PackField:
    value = {"yes": "Yes: serious harm to the people affected is likely",
             "no": "No: serious harm is not likely"}.get(answers.get("likely_serious_harm"))
    return _ask(label, value, "Whether serious harm to the people affected is likely: the assessment is not finished")


# ---- work health and safety (AU) and occupational health and safety (VIC) ----

# The WHS regulator of each state and territory that has the model WHS Act (s38 notice).
WHS_REGULATORS = {
    "AU-NSW": ("SafeWork NSW", "phone 13 10 50 (any time) or SafeWork NSW's online incident notification at "
                               "https://www.safework.nsw.gov.au"),
    "AU-QLD": ("Workplace Health and Safety Queensland",
               "its incident notification at https://www.worksafe.qld.gov.au"),
    "AU-WA": ("WorkSafe WA", "its incident notification at https://www.worksafe.wa.gov.au"),
    "AU-SA": ("SafeWork SA", "its incident notification at https://www.safework.sa.gov.au"),
    "AU-TAS": ("WorkSafe Tasmania", "its incident notification at https://worksafe.tas.gov.au"),
    "AU-ACT": ("WorkSafe ACT", "its incident notification at https://www.worksafe.act.gov.au"),
    "AU-NT": ("NT WorkSafe", "its incident notification at https://worksafe.nt.gov.au"),
}
WHS_ANY = ("The WHS regulator of the state or territory",
           "the regulator's incident notification (Safe Work Australia lists the regulators at "
           "https://www.safeworkaustralia.gov.au)")


def _injured_person_whs(answers: Mapping[str, Any]) -> tuple[PackField, ...]:
    if not _hurt(answers):
        return (PackField("Injured person", "Nobody was reported hurt"),)
    return (
        _never("Injured person's full name", "The injured person's full name"),
        _never("Injured person's date of birth", "The injured person's date of birth"),
        _never("Injured person's occupation", "The injured person's occupation or job"),
        _ask("Worker or other person", INJURED_PERSON.get(answers.get("injured_person")),
             "Whether the injured person was a worker, a contractor or a member of the public: "
             "not answered in the report"),
        _ask("Injury or illness", _listed(INJURIES, answers.get("injuries")) or None,
             "The kind of injury or illness: the report lists none; "
             "take it from the description or the treating doctor"),
        _ask("Treatment", TREATMENT.get(answers.get("treatment")),
             "The treatment the person needed: not answered in the report"),
    )


def _whs_sections(f: PackFacts, business_label: str) -> tuple[PackSection, ...]:
    """The facts of a notifiable incident notice (WHS Act ss35-38; the VIC OHS Act asks the same)."""
    a = f.answers
    types = whs_incident_types(a)
    reasons = whs_notifiable(dict(a)) + _events(a, "a dangerous incident")
    return (
        PackSection("Who is notifying", (*_person(f, "person notifying"), _reference(f))),
        PackSection("The business and the workplace", (
            PackField(business_label, f.organisation),
            PackField("Workplace (site)", _site(f)),
            _address("Workplace street address"),
            _where_on_site(f),
        )),
        PackSection("The incident", (
            PackField("Date and time it happened", local_time(f.occurred_at, f.timezone)),
            PackField("Date and time the business became aware", local_time(f.aware_at, f.timezone)),
            _ask("Type of notifiable incident", "; ".join(types) or None,
                 "The type of incident: the answers show no death, serious injury or illness or dangerous incident; "
                 "check whether it is notifiable at all"),
            PackField("Why it is notifiable", _sentence(reasons) or "Nothing notifiable found in the answers"),
            PackField("What happened", f.description),
            PackField("Kind of dangerous incident", _dangerous_events(a)),
        )),
        PackSection("The injured person", _injured_person_whs(a)),
        PackSection("The site", (
            _never("Site left undisturbed until an inspector releases it",
                   "Whether the site has been left undisturbed",
                   "not recorded as a fact of the incident; confirm on site"),
        )),
    )


def _whs_pack(f: PackFacts) -> Pack:
    # Work Health and Safety Act (model law, each state's own Act) ss35-38: notifiable incidents (death,
    # serious injury or illness, dangerous incident), duty to notify, preserving the site. Fields follow the
    # notice regulators take by phone or online, e.g. SafeWork NSW's "notify an incident" form.
    regulator, where = WHS_REGULATORS.get(f.jurisdiction, WHS_ANY)
    return Pack(
        regime="AU-WHS", title=f"Notifiable incident notice to {regulator}", regulator=regulator,
        where=f"Notify by the fastest means: {where}",
        source="Work Health and Safety Act ss35-38; SafeWork NSW's incident notification form",
        sections=_whs_sections(f, "Business or undertaking (PCBU)"))


def _vic_pack(f: PackFacts) -> Pack:
    # Occupational Health and Safety Act 2004 (Vic) s38 (notify immediately, written record within 48 h) and
    # s39 (preserve the site); WorkSafe emails a link to its online incident notification form after the call.
    return Pack(
        regime="AU-VIC-OHS", title="Incident notification to WorkSafe Victoria", regulator="WorkSafe Victoria",
        where="Phone WorkSafe on 13 23 60 first; it then emails a link to its online incident notification form "
              "(the written record, within 48 h): https://www.worksafe.vic.gov.au/report-incident",
        source="Occupational Health and Safety Act 2004 (Vic) ss38-39; WorkSafe Victoria's incident notification form",
        sections=_whs_sections(f, "Employer or self-employed person"))


# ---- RIDDOR (UK) ----

def _riddor_status(answers: Mapping[str, Any]) -> str | None:
    return {"worker": "Worker: an employee",
            "contractor": "Worker: a contractor (employed by another business or self-employed: confirm which)",
            "public": "Member of the public (not at work)"}.get(answers.get("injured_person"))


def _hospital(answers: Mapping[str, Any]) -> str | None:
    treatment = answers.get("treatment")
    if treatment == "fatality":
        return None
    if answers.get("taken_to_hospital_from_scene"):
        return "Yes: taken to hospital from the scene"
    if treatment == "hospital_admitted":
        return "Yes: admitted to hospital as an in-patient"
    if treatment == "emergency_discharged":
        return "Yes: treated in hospital emergency and sent home the same day"
    return "No"


def _days_off(answers: Mapping[str, Any]) -> str:
    if answers.get("treatment") == "fatality":
        return "Not applicable: the person died"
    if answers.get("injured_person") == "public":
        return "Not applicable: a member of the public"
    days = answers.get("days_unfit_for_work", 0)
    if not days:
        return "None expected"
    return f"{days} days expected ({'over' if days > 7 else 'not over'} 7 days, not counting the day of the accident)"


def _riddor_person(answers: Mapping[str, Any]) -> tuple[PackSection, ...]:
    if not _hurt(answers):
        return (PackSection("The injured person", (PackField("Injured person", "Nobody was reported hurt"),)),)
    return (
        PackSection("The injured person", (
            _never("Injured person's full name", "The injured person's full name"),
            _never("Injured person's home address and postcode", "The injured person's home address and postcode"),
            _never("Injured person's occupation or job title", "The injured person's occupation or job title"),
            _never("Injured person's gender", "The injured person's gender"),
            _never("Injured person's age", "The injured person's age"),
            _ask("Worker or member of the public", _riddor_status(answers),
                 "Whether the injured person was a worker or a member of the public: not answered in the report "
                 "(the rules assumed a worker)"),
        )),
        PackSection("The injury", (
            _ask("Kind of injury", _listed(INJURIES, answers.get("injuries")) or None,
                 "The kind of injury (for example fracture, burn, laceration): the report lists none"),
            _never("Part of the body injured", "The part of the body injured"),
            _ask("Taken to hospital", _hospital(answers),
                 "Whether the person was taken to hospital before they died: not collected by the report"),
            PackField("Time off work or unable to do normal work", _days_off(answers)),
            _never("Kind of accident", "HSE's kind of accident (for example slipped or tripped, struck by a moving "
                                       "object, fell from height)", "not collected by the report; choose it from "
                                                                    "the description"),
        )),
    )


def _riddor_pack(f: PackFacts) -> Pack:
    # RIDDOR 2013 regs 4-7 and Schedule 2 (deaths, specified injuries, over-7-day injuries, members of the public
    # taken to hospital, dangerous occurrences); fields follow HSE's online forms F2508 (injury, dangerous occurrence).
    a = f.answers
    kinds = riddor_kinds(a)
    reasons = riddor_reportable(dict(a)) + _events(a, "a dangerous occurrence")
    sections = (
        PackSection("About you and your organisation", (
            *_person(f, "person reporting"),
            PackField("Organisation", f.organisation),
            _never("Organisation's address and postcode", "The organisation's address and postcode",
                   "not held by the app"),
            _reference(f),
        )),
        PackSection("Where and when", (
            PackField("Date and time of the incident", local_time(f.occurred_at, f.timezone)),
            PackField("Site where it happened", _site(f)),
            _address("Site address and postcode"),
            _never("Local authority area", "The local authority area the site is in", "not held by the app"),
            _where_on_site(f),
        )),
        PackSection("What is being reported", (
            _ask("Kind of report", "; ".join(kinds) or None,
                 "What is being reported: the answers show no death, specified injury, over-7-day incapacity, "
                 "member of the public taken to hospital or dangerous occurrence; check whether a report is needed"),
            PackField("Why it is reportable", _sentence(reasons) or "Nothing reportable found in the answers"),
        )),
        *_riddor_person(a),
        PackSection("Dangerous occurrence", (
            PackField("Kind of dangerous occurrence", _dangerous_events(a)),
        )),
        PackSection("Description", (PackField("What happened", f.description),)),
    )
    return Pack(
        regime="UK-RIDDOR", title="RIDDOR report to the HSE", regulator="Health and Safety Executive (HSE)",
        where="HSE's online RIDDOR forms (report of an injury; report of a dangerous occurrence): "
              "https://www.hse.gov.uk/riddor/report.htm (deaths and specified injuries can also be phoned in)",
        source="RIDDOR 2013 regs 4-7 and Schedule 2; HSE online forms F2508 (injury and dangerous occurrence)",
        sections=sections)


# ---- notifiable data breaches (AU) ----

def _ndb_cause(f: PackFacts) -> PackField:
    if _cyber(f.answers):
        return PackField("Cause", "Malicious or criminal attack (reported as a security incident)"
                         + (f". Causes found: {f.causes}" if f.causes else ""))
    found = f"the investigation found: {f.causes}" if f.causes else "the investigation has not recorded causes yet"
    return PackField("Cause", None,
                     f"Whether it was a malicious or criminal attack, a system fault or human error: {found}")


def _ndb_pack(f: PackFacts) -> Pack:
    # Privacy Act 1988 (Cth) s26WK(3): (a) identity and contact details, (b) description of the breach,
    # (c) kinds of information, (d) recommended steps for individuals; plus what part two of the OAIC's online
    # Notifiable Data Breach form asks (dates, number of people, cause, containment).
    a = f.answers
    sections = (
        PackSection("The organisation (s26WK(3)(a))", (
            PackField("Organisation name", f.organisation),
            *_person(f, "contact person"),
            _never("Organisation's postal address", "The organisation's postal address", "not held by the app"),
            _reference(f),
        )),
        PackSection("The breach (s26WK(3)(b))", (
            PackField("Description of the breach", f.description),
            PackField("When the breach happened", local_time(f.occurred_at, f.timezone)),
            PackField("When it was discovered", local_time(f.aware_at, f.timezone)),
            _ndb_cause(f),
            _people_affected(a, "Number of individuals affected"),
        )),
        PackSection("Information involved (s26WK(3)(c))", (
            _information_kinds(a, "Kinds of personal information"),
            PackField("Encrypted", _encrypted(a)),
        )),
        PackSection("Recommended steps for individuals (s26WK(3)(d))", (
            _never("Steps individuals should take", "What you recommend the people affected do (for example change "
                   "passwords, watch their accounts, beware of scam messages)", "not recorded in the app"),
        )),
        PackSection("Containment and response (OAIC form, part two)", (
            PackField("Harm contained", _contained(a)),
            _serious_harm(a, "Serious harm likely"),
            _measures(f, "Actions taken or planned"),
        )),
    )
    return Pack(
        regime="AU-NDB", title="Notifiable data breach statement to the OAIC",
        regulator="Office of the Australian Information Commissioner (OAIC)",
        where="The OAIC's online Notifiable Data Breach form: "
              "https://www.oaic.gov.au/privacy/notifiable-data-breaches/report-a-data-breach",
        source="Privacy Act 1988 (Cth) s26WK(3); OAIC Notifiable Data Breach form (part two: further detail)",
        sections=sections)


# ---- GDPR / UK GDPR ----

def _delay(f: PackFacts) -> tuple[PackField, PackField]:
    """When the authority was told, and the reasons for the delay when that was more than 72 h after awareness."""
    limit = f.aware_at + GDPR_WINDOW
    if f.notified_at is None:
        return (PackField("Notified to the authority", "Not yet"),
                PackField("Reasons for the delay", "Needed only if the notification is made more than 72 h after "
                                                   f"becoming aware, that is after {local_time(limit, f.timezone)}"))
    took = _hours(f.notified_at - f.aware_at)
    told = PackField("Notified to the authority",
                     f"{local_time(f.notified_at, f.timezone)} ({took} after becoming aware)")
    if f.notified_at <= limit:
        return told, PackField("Reasons for the delay", f"Not needed: notified within 72 h of becoming aware ({took})")
    return told, PackField("Reasons for the delay", None,
                           f"Why the notification came {took} after becoming aware, more than 72 h: "
                           "the authority asks for the reasons for the delay")


def _gdpr_pack(f: PackFacts) -> Pack:
    # GDPR / UK GDPR Art. 33(3): (a) nature of the breach incl. categories and approximate numbers of data subjects
    # and records, (b) DPO or other contact point, (c) likely consequences, (d) measures; Art. 33(1): reasons for a
    # delay past 72 h. The ICO's "report a personal data breach" form also asks when it happened and was found.
    a = f.answers
    uk = f.jurisdiction == "UK"
    cyber = ("Yes: reported as a security incident" + (" (ransomware)" if a.get("ransomware") else "")
             if _cyber(a) else "No cyber attack reported")
    sections = (
        PackSection("Who is reporting (Art. 33(3)(b))", (
            PackField("Organisation (controller)", f.organisation),
            _ask("Contact point for more information", f.contact,
                 "Who the authority can contact for more information: no incident commander is recorded"),
            _never("Data protection officer", "The data protection officer's name and contact details",
                   "not held by the app (if there is no DPO, the contact point above answers)"),
            _reference(f),
        )),
        PackSection("The breach (Art. 33(3)(a))", (
            PackField("What happened", f.description),
            PackField("When the breach happened", local_time(f.occurred_at, f.timezone)),
            PackField("When the organisation became aware", local_time(f.aware_at, f.timezone)),
            PackField("Cyber incident", cyber),
            _information_kinds(a, "Categories of personal data"),
            _never("Categories of people affected", "Which groups of people are affected (for example staff, "
                                                     "customers, patients, children)"),
            _people_affected(a, "Approximate number of people affected"),
            _never("Approximate number of records", "About how many personal data records are involved"),
        )),
        PackSection("Likely consequences (Art. 33(3)(c))", (
            _serious_harm(a, "Serious harm likely"),
            _never("Likely consequences for the people affected", "What could happen to the people affected (for "
                                                                  "example fraud, distress, loss of control of "
                                                                  "their data)", "not described in the report"),
        )),
        PackSection("Measures (Art. 33(3)(d))", (
            PackField("Harm contained", _contained(a)),
            PackField("Data encrypted", _encrypted(a)),
            _measures(f, "Measures taken or proposed"),
        )),
        PackSection("Timing (Art. 33(1))", _delay(f)),
    )
    return Pack(
        regime="GDPR",
        title="Personal data breach report to the " + ("ICO" if uk else "supervisory authority"),
        regulator="Information Commissioner's Office (ICO)" if uk else
        "The lead supervisory authority (the data protection authority of the main establishment)",
        where="The ICO's online form: https://ico.org.uk/for-organisations/report-a-breach/" if uk else
        "The authority's own breach notification form (the EDPB lists the authorities: "
        "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en)",
        source=("UK GDPR" if uk else "GDPR") + " Art. 33(1) and 33(3); the ICO's 'report a personal data breach' form",
        sections=sections)


# ---- every other regime: the common facts ----

# regime id -> (title, regulator, where, source)
GENERAL = {
    # APRA Prudential Standard CPS 234 Information Security, paras 35-36 (notify APRA within 72 h).
    "AU-APRA-CPS234": ("Information security incident notification to APRA (CPS 234)",
                       "Australian Prudential Regulation Authority (APRA)",
                       "APRA Connect, or the entity's usual APRA contact: https://www.apra.gov.au",
                       "APRA Prudential Standard CPS 234 Information Security, paras 35-36"),
    # Security of Critical Infrastructure Act 2018 (Cth) s30BC (significant impact, 12 h) and s30BD (relevant, 72 h).
    "AU-SOCI": ("Cyber security incident report (SOCI Act)",
                "Australian Signals Directorate's Australian Cyber Security Centre (ACSC)",
                "ReportCyber at https://www.cyber.gov.au/report-and-recover/report",
                "Security of Critical Infrastructure Act 2018 (Cth) ss30BC-30BD"),
    # Cyber Security Act 2024 (Cth) Part 3: ransomware payment reports within 72 h of paying.
    "AU-CYBER-RANSOM": ("Ransomware payment report", "Australian Signals Directorate (ASD)",
                        "The ransomware payment report form at https://www.cyber.gov.au/report-and-recover/report",
                        "Cyber Security Act 2024 (Cth) Part 3 (ransomware payment reports)"),
    # Protection of the Environment Operations Act 1997 (NSW) Part 5.7, s148 (notify pollution incidents immediately).
    "AU-NSW-POEO": ("Pollution incident notification (NSW)",
                    "NSW Environment Protection Authority (EPA) and the other relevant authorities",
                    "The EPA's Environment Line, 131 555, then the other authorities: https://www.epa.nsw.gov.au",
                    "Protection of the Environment Operations Act 1997 (NSW) Part 5.7, ss148 and 150"),
    # The Network and Information Systems Regulations 2018 (UK) reg 11 (operators of essential services, 72 h).
    "UK-NIS": ("NIS incident notification", "The competent authority for the sector",
               "The competent authority's own incident reporting route (NCSC guidance: https://www.ncsc.gov.uk)",
               "The Network and Information Systems Regulations 2018, reg 11"),
    # Directive (EU) 2022/2555 (NIS2) Art. 23: early warning 24 h, notification 72 h, final report one month.
    "EU-NIS2": ("NIS2 significant incident notification", "The national CSIRT or competent authority",
                "The CSIRT's or competent authority's reporting channel (ENISA lists the CSIRTs: "
                "https://www.enisa.europa.eu/topics/incident-response/csirts-in-europe)",
                "Directive (EU) 2022/2555 (NIS2) Art. 23"),
}


def _impact(answers: Mapping[str, Any]) -> str:
    """The impact the answers describe, in one line."""
    parts = []
    if answers.get("service_impact", "none") != "none":
        parts.append(f"service affected: {SERVICE_IMPACT.get(answers['service_impact'], '').lower()}")
    if answers.get("essential_service_disrupted"):
        parts.append("an essential service is disrupted")
    if isinstance(answers.get("people_affected"), int):
        parts.append(f"{answers['people_affected']:,} people's data involved")
    if answers.get("treatment", "none") != "none":
        parts.append(f"a person was hurt ({TREATMENT.get(answers['treatment'], '').lower()})")
    if answers.get("spill_litres"):
        parts.append(f"about {answers['spill_litres']:g} litres spilled")
    if answers.get("reached_drain_or_waterway"):
        parts.append("it reached a drain or waterway")
    if answers.get("environmental_harm"):
        parts.append("more than trivial harm to the environment, or clean-up over A$10,000")
    if answers.get("ransom_paid"):
        parts.append("a ransom was paid")
    return _sentence(parts) or "No impact reported"


def _ransom_paid_at(f: PackFacts) -> PackField:
    paid = f.answers.get("ransom_paid_at")
    when = datetime.fromisoformat(paid) if isinstance(paid, str) else paid
    return _ask("When the ransom was paid", local_time(when, f.timezone) if isinstance(when, datetime) else None,
                "When the ransom was paid: not given in the report")


def _general_pack(regime: str, f: PackFacts) -> Pack:
    # The common facts every incident notification asks for; each regime's source is cited in GENERAL.
    title, regulator, where, source = GENERAL.get(regime, (
        f"Notification ({regime})", "The regulator for this notification", "The regulator's own notification form",
        "The common facts of an incident notification"))
    a = f.answers
    when = (
        PackField("When it happened", local_time(f.occurred_at, f.timezone)),
        PackField("When the organisation became aware", local_time(f.aware_at, f.timezone)),
        PackField("When it was reported", local_time(f.reported_at, f.timezone)),
    ) + ((_ransom_paid_at(f),) if regime == "AU-CYBER-RANSOM" else ())
    sections = (
        PackSection("Who is notifying", (
            PackField("Organisation", f.organisation), *_person(f, "contact person"), _reference(f))),
        PackSection("Where and when", (PackField("Site", _site(f)), _where_on_site(f), *when)),
        PackSection("What happened", (
            PackField("Kind of incident", ", ".join(CATEGORIES.get(c, c) for c in f.categories) or "Not classified"),
            PackField("What happened", _listed(WHAT_HAPPENED, a.get("what_happened")) or "Not stated"),
            PackField("Description", f.description),
            PackField("Our severity", f"{f.severity} ({SEVERITY_NAMES.get(f.severity, 'unknown')})"),
            PackField("Impact", _impact(a)),
            _causes(f),
        )),
        PackSection("Response", (
            _measures(f, "Measures taken or planned"),
            PackField("First notification made",
                      local_time(f.notified_at, f.timezone) if f.notified_at else "Not yet"),
        )),
    )
    return Pack(regime=regime, title=title, regulator=regulator, where=where, source=source, sections=sections)


_BUILDERS: dict[str, Callable[[PackFacts], Pack]] = {
    "AU-WHS": _whs_pack, "AU-VIC-OHS": _vic_pack, "UK-RIDDOR": _riddor_pack, "AU-NDB": _ndb_pack, "GDPR": _gdpr_pack,
}


# The regimes that tell a regulator (a customer's contractual notice is not one): each has a pack.
REGULATORS = (*_BUILDERS, *GENERAL)


def pack_for(regime: str, facts: PackFacts) -> Pack:
    """The pack for one regime's notification; a regime without its own form gets the general pack."""
    build = _BUILDERS.get(regime)
    return build(facts) if build else _general_pack(regime, facts)

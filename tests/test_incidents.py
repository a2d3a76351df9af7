"""Triage and work on incidents: queue, visibility, lifecycle, severity override, roles, notes, timeline."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import file_incident, report

from webapp.database import utcnow
from webapp.extensions import db
from webapp.incidents.models import Incident, TimelineEntry, TimelineIsAppendOnly
from webapp.reporting.service import submit_report
from webapp.rules.answers import validate_report


def file(demo, reporter="reporter", minutes_ago=0, **answers) -> Incident:
    """File a report as `reporter`, received `minutes_ago` minutes ago."""
    now = utcnow() - timedelta(minutes=minutes_ago)
    body = report(**answers)
    body.setdefault("occurred_at", (now - timedelta(minutes=1)).isoformat())
    checked = validate_report(body, now=now, site_codes={"SYD", "MAN"}, default_site="SYD")
    incident, _ = submit_report(checked, demo[reporter], now)
    return incident


def queue_refs(client, query="") -> list[str]:
    page = client.get(f"/incidents?{query}", headers={"HX-Request": "true"}).get_data(as_text=True)
    return re.findall(r'<span class="ref">(INC-\d+)</span>', page)


def test_queue_sorts_by_severity_then_age(demo, as_user):
    old_p4 = file(demo, minutes_ago=50, what_happened=["hazard"])
    new_p1 = file(demo, minutes_ago=1, what_happened=["injury"], treatment="fatality")
    old_p1 = file(demo, minutes_ago=30, what_happened=["security"], ransomware=True)
    p3 = file(demo, minutes_ago=40, what_happened=["service_outage"], service_impact="team")
    assert queue_refs(as_user("supervisor")) == [old_p1.reference, new_p1.reference, p3.reference,
                                                 old_p4.reference]


def test_queue_filters(demo, as_user):
    hazard = file(demo, what_happened=["hazard"])
    spill = file(demo, reporter="reporter2", site="MAN", what_happened=["environmental"])
    closed = file(demo, what_happened=["near_miss"])
    closed.status = "closed"
    db.session.commit()
    client = as_user("responder")
    assert queue_refs(client) == [spill.reference, hazard.reference]  # open only by default
    assert queue_refs(client, "site=MAN") == [spill.reference]
    assert queue_refs(client, "category=safety&status=all") == [hazard.reference, closed.reference]
    assert queue_refs(client, "severity=P3") == [spill.reference]
    assert queue_refs(client, "status=closed") == [closed.reference]
    assert queue_refs(client, "severity=bogus&status=bogus") == [spill.reference, hazard.reference]


def test_queue_poll_keeps_the_filters(demo, as_user):
    page = as_user("supervisor").get("/incidents?site=MAN&severity=P2").get_data(as_text=True)
    assert 'hx-include="#queue-filters"' in page and 'hx-trigger="every 10s"' in page
    assert '<option value="MAN" selected>' in page and '<option value="P2" selected>' in page


def test_confidential_incidents_only_reach_the_people_on_them(demo, as_user):
    breach = file(demo, what_happened=["data_breach"], personal_data="yes")
    assert breach.confidential
    url = f"/incidents/{breach.reference}"
    assert as_user("reporter").get(url).status_code == 200
    assert as_user("supervisor").get(url).status_code == 200
    assert as_user("responder").get(url).status_code == 404
    assert breach.reference not in queue_refs(as_user("responder"))
    breach.tech_lead = demo["responder"]
    db.session.commit()
    assert as_user("responder").get(url).status_code == 200
    assert breach.reference in queue_refs(as_user("responder"))


def test_reporters_see_only_their_own_incidents(demo, as_user):
    theirs = file(demo, reporter="reporter2", site="MAN")
    assert as_user("reporter").get(f"/incidents/{theirs.reference}").status_code == 404
    page = as_user("reporter2").get(f"/incidents/{theirs.reference}").get_data(as_text=True)
    assert "Change status" not in page  # reporters read, they do not work incidents


def test_detail_shows_answers_in_words_and_reasons(demo, as_user):
    incident = file(demo, what_happened=["injury"], injured_person="contractor", treatment="hospital_admitted",
                    injuries=["fracture"])
    page = as_user("responder").get(f"/incidents/{incident.reference}").get_data(as_text=True)
    assert "Admitted to hospital" in page and "A contractor" in page
    assert "Broken bone (not finger, thumb or toe)" in page
    assert "P1: a person was admitted to hospital" in page


def test_status_moves_forward_and_back_only_with_a_reason(demo, as_user):
    incident = file(demo)
    client = as_user("responder")
    url = f"/incidents/{incident.reference}/status"
    assert client.post(url, data={"status": "resolved"}).status_code == 303
    db.session.refresh(incident)
    assert incident.status == "resolved" and incident.resolved_at is not None
    refused = client.post(url, data={"status": "investigating"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "needs a reason" in refused.get_data(as_text=True)
    db.session.refresh(incident)
    assert incident.status == "resolved"
    assert client.post(url, data={"status": "investigating", "reason": "pump failed again"}).status_code == 303
    db.session.refresh(incident)
    assert incident.status == "investigating" and incident.resolved_at is None
    summaries = [e.summary for e in incident.timeline]
    assert "Reopened: Resolved → Investigating (pump failed again)" in summaries


def test_cancel_needs_a_reason(demo, as_user):
    incident = file(demo)
    client = as_user("supervisor")
    url = f"/incidents/{incident.reference}/status"
    assert client.post(url, data={"status": "cancelled"}).status_code == 422
    assert client.post(url, data={"status": "cancelled", "reason": "duplicate of INC-000009"}).status_code == 303
    db.session.refresh(incident)
    assert incident.status == "cancelled"


def test_supervisor_overrides_severity_with_a_logged_reason(demo, as_user):
    incident = file(demo, what_happened=["hazard"])
    client = as_user("supervisor")
    url = f"/incidents/{incident.reference}/severity"
    missing = client.post(url, data={"severity": "P2"}, headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "needs a reason" in missing.get_data(as_text=True)
    fragment = client.post(url, data={"severity": "P2", "reason": "Exposed live wiring near walkway"},
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<article id="incident-detail"')
    assert "Severity changed P4 → P2: Exposed live wiring near walkway" in fragment
    db.session.refresh(incident)
    assert (incident.severity, incident.classified_severity) == ("P2", "P4")
    assert as_user("responder").post(url, data={"severity": "P1", "reason": "x"}).status_code == 403


def test_roles_notes_and_acknowledgement_go_on_the_timeline(demo, as_user):
    incident = file(demo)
    base = f"/incidents/{incident.reference}"
    supervisor = as_user("supervisor")
    assert supervisor.post(f"{base}/roles", data={"role": "commander",
                                                  "user_id": demo["responder"].id}).status_code == 303
    assert supervisor.post(f"{base}/roles", data={"role": "commander",
                                                  "user_id": demo["reporter"].id}).status_code == 422
    janitor = supervisor.post(f"{base}/roles", data={"role": "janitor", "user_id": ""})
    assert janitor.status_code == 400 and "role should be" in janitor.get_data(as_text=True)  # not a role on the page
    responder = as_user("responder")
    assert responder.post(f"{base}/notes", data={"note": "   "}).status_code == 422
    assert responder.post(f"{base}/notes", data={"note": "Area taped off"}).status_code == 303
    assert responder.post(f"{base}/acknowledge").status_code == 303
    db.session.refresh(incident)
    assert incident.commander.id == demo["responder"].id
    assert incident.acknowledged_at is not None
    assert [e.what for e in incident.timeline] == ["reported", "role", "note", "acknowledged"]
    assert incident.timeline[1].summary == "Incident commander: Responder"


def test_supervisor_corrects_aware_at_with_a_reason(demo, as_user):
    incident = file(demo, minutes_ago=60, occurred_at=(utcnow() - timedelta(hours=3)).isoformat())
    url = f"/incidents/{incident.reference}/aware-at"
    client = as_user("supervisor")
    local = (incident.reported_at - timedelta(minutes=30)).astimezone(
        ZoneInfo("Australia/Sydney")).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, data={"aware_at": local}).status_code == 422
    assert client.post(url, data={"aware_at": "soon", "reason": "x"}).status_code == 422
    assert client.post(url, data={"aware_at": local, "reason": "Phoned in before the report"}).status_code == 303
    db.session.refresh(incident)
    assert incident.aware_at < incident.reported_at
    assert incident.timeline[-1].what == "aware_at"
    before_it_happened = (incident.occurred_at - timedelta(hours=1)).astimezone(
        ZoneInfo("Australia/Sydney")).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, data={"aware_at": before_it_happened, "reason": "typo"})
    assert refused.status_code == 422 and "before it happened" in refused.get_data(as_text=True)


def test_timeline_entries_cannot_be_edited_or_deleted(demo):
    incident = file(demo)
    entry = incident.timeline[0]
    entry.summary = "rewritten history"
    with pytest.raises(TimelineIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(TimelineIsAppendOnly):
        db.session.delete(db.session.get(TimelineEntry, entry.id))
        db.session.commit()
    db.session.rollback()
    assert db.session.get(TimelineEntry, entry.id).summary.startswith("Reported by")


def test_responders_say_they_are_on_the_way_and_on_scene(demo, as_user):
    incident = file(demo)
    client = as_user("responder")
    url = f"/incidents/{incident.reference}/progress"
    fragment = client.post(url, data={"progress": "on_my_way"}, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Responder is on the way" in fragment
    assert client.post(url, data={"progress": "on_scene"}).status_code == 303
    lunch = client.post(url, data={"progress": "at_lunch"})
    assert lunch.status_code == 400 and "progress should be" in lunch.get_data(as_text=True)
    db.session.refresh(incident)
    assert [e.what for e in incident.timeline][-2:] == ["on_my_way", "on_scene"]
    assert as_user("reporter").post(url, data={"progress": "on_scene"}).status_code == 403


def test_a_queue_longer_than_it_shows_says_how_many_and_how_to_see_the_rest(as_user, demo, monkeypatch):
    from webapp.incidents import queries
    monkeypatch.setattr(queries, "QUEUE_LIMIT", 3)
    for _ in range(4):
        file_incident(demo, what_happened=["hazard"], treatment=None)
    page = as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert "4 incidents: the 3 most severe and longest waiting are shown" in " ".join(page.split())
    assert page.count('class="card incident-row"') == 3
    narrowed = as_user("supervisor").get("/incidents?site=SYD").get_data(as_text=True)
    assert "0 incidents" in narrowed and "are shown" not in narrowed


def test_a_long_queue_never_hides_an_incident_with_a_regulators_deadline(as_user, demo, monkeypatch):
    from webapp.incidents import queries
    monkeypatch.setattr(queries, "QUEUE_LIMIT", 3)
    for _ in range(3):
        file_incident(demo)  # P1s at Manchester: no regulator
    breach = file_incident(demo, site="SYD", what_happened=["environmental"], treatment=None,
                           reached_drain_or_waterway=True)  # P2 or lower, but the NSW EPA must be told at once
    assert breach.severity != "P1"
    page = as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert breach.reference in page and page.count('class="card incident-row"') == 3

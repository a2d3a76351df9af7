"""No lost updates (issue 13): two supervisors changing an incident at once both succeeded on stale state
(20 of 20 rounds), and the timeline showed two changes from the same starting status. Now the second of
two conflicting changes is refused with 409, says who changed it meanwhile, and changes nothing: on the
page (its forms carry what they were made on), through the API (If-Match with the ETag a GET gave), and
when two requests race (the incident's version is checked by every write)."""
from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request

from helpers import file_incident, is_checked
from sqlalchemy import update

import webapp.incidents.actions as actions
from webapp.auth.models import ApiToken
from webapp.extensions import db
from webapp.incidents.models import Incident


def statuses(incident_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    incident = db.session.get(Incident, incident_id)
    return [(e.details["source"], e.details["target"]) for e in incident.timeline if e.what == "status"]


def test_a_page_made_before_someone_elses_change_is_refused_and_shows_who(as_user, demo):
    incident = file_incident(demo)
    db.session.commit()
    mine, theirs = as_user("supervisor"), as_user("admin")
    page = mine.get(f"/incidents/{incident.reference}").get_data(as_text=True)
    assert 'name="was" value="reported"' in page
    assert theirs.post(f"/incidents/{incident.reference}/status",
                       data={"status": "triaged", "was": "reported"}).status_code == 303
    stale = mine.post(f"/incidents/{incident.reference}/status", data={"status": "investigating", "was": "reported"},
                      headers={"HX-Request": "true"})
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert f"Changed by Admin meanwhile: {incident.reference} is now triaged" in text
    assert "Nothing you sent was changed" in text and 'name="was" value="triaged"' in text  # the page as it is now
    assert statuses(incident.id) == [("reported", "triaged")]


def test_stale_severity_and_role_forms_are_refused_too(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    db.session.commit()
    supervisor, admin = as_user("supervisor"), as_user("admin")
    admin.post(f"/incidents/{incident.reference}/severity", data={"severity": "P2", "reason": "looked again",
                                                                  "was": incident.severity})
    stale = supervisor.post(f"/incidents/{incident.reference}/severity",
                            data={"severity": "P3", "reason": "my view", "was": "P4"})
    assert stale.status_code == 409 and "is now P2" in stale.get_data(as_text=True)
    admin.post(f"/incidents/{incident.reference}/roles",
               data={"role": "commander", "user_id": str(demo["admin"].id), "was": ""})
    stale = supervisor.post(f"/incidents/{incident.reference}/roles",
                            data={"role": "commander", "user_id": str(demo["supervisor"].id), "was": ""})
    assert stale.status_code == 409 and "incident commander: Admin" in stale.get_data(as_text=True)
    db.session.expire_all()
    refreshed = db.session.get(Incident, incident.id)
    assert refreshed.severity == "P2" and refreshed.commander_id == demo["admin"].id


def racing(monkeypatch, incident, times: int) -> None:
    """Another request commits a status change between our reading the incident and our writing it, the
    first `times` times we try."""
    real, raced = actions.change_status, []

    def change_status(incident, *args, **kwargs):
        if len(raced) < times:
            with db.engine.begin() as other:
                other.execute(update(Incident).where(Incident.id == incident.id)
                              .values(status="triaged", version=Incident.version + 1))
            raced.append(True)
        return real(incident, *args, **kwargs)

    monkeypatch.setattr(actions, "change_status", change_status)


def test_a_write_that_lost_a_race_is_done_again_on_what_is_there_now(as_user, demo, monkeypatch):
    """Both requests read the incident before either wrote: the one writing second finds the version it
    read gone; nothing of that attempt is kept, and it is done again on the incident as it is now (a move
    that did not depend on what the person saw), so no change is ever made from a state already gone."""
    incident = file_incident(demo)
    db.session.commit()
    racing(monkeypatch, incident, times=1)
    answer = as_user("supervisor").post(f"/incidents/{incident.reference}/status", data={"status": "investigating"})
    assert answer.status_code == 303
    assert statuses(incident.id) == [("triaged", "investigating")]  # from what was there, not from "reported"


def test_a_page_that_lost_a_race_is_refused_whole(as_user, demo, monkeypatch):
    incident = file_incident(demo)
    db.session.commit()
    racing(monkeypatch, incident, times=1)
    answer = as_user("supervisor").post(f"/incidents/{incident.reference}/status",
                                        data={"status": "investigating", "was": "reported"})
    assert answer.status_code == 409 and "is now triaged" in answer.get_data(as_text=True)
    assert statuses(incident.id) == [] and db.session.get(Incident, incident.id).status == "triaged"


def test_a_write_that_keeps_losing_races_is_refused_whole(as_user, demo, monkeypatch):
    incident = file_incident(demo)
    db.session.commit()
    racing(monkeypatch, incident, times=99)
    answer = as_user("supervisor").post(f"/incidents/{incident.reference}/status", data={"status": "investigating"})
    assert answer.status_code == 409
    assert "Nothing you sent was changed" in answer.get_data(as_text=True)
    assert statuses(incident.id) == [] and db.session.get(Incident, incident.id).status == "triaged"


def test_through_the_api_if_match_refuses_a_stale_change_and_gives_the_current_state(as_user, demo):
    incident = file_incident(demo)
    db.session.commit()
    supervisor = as_user("supervisor")
    first = supervisor.get(f"/api/v1/incidents/{incident.reference}")
    etag = first.headers["ETag"]
    moved = supervisor.post(f"/api/v1/incidents/{incident.reference}/status", json={"status": "triaged"},
                            headers={"If-Match": etag})
    assert moved.status_code == 200
    stale = supervisor.post(f"/api/v1/incidents/{incident.reference}/status", json={"status": "investigating"},
                            headers={"If-Match": etag})
    assert stale.status_code == 409
    assert stale.get_json()["current"]["status"] == "triaged"
    assert statuses(incident.id) == [("reported", "triaged")]
    fresh = supervisor.get(f"/api/v1/incidents/{incident.reference}").headers["ETag"]
    assert fresh != etag
    assert supervisor.post(f"/api/v1/incidents/{incident.reference}/status", json={"status": "investigating"},
                           headers={"If-Match": fresh}).status_code == 200


def test_two_supervisors_at_once_one_wins_each_round_and_no_status_changes_twice(live_server, demo):
    secrets = [ApiToken.issue(demo[who], "race")[1] for who in ("supervisor", "admin")]
    incident = file_incident(demo)
    db.session.commit()
    url = f"{live_server}/api/v1/incidents/{incident.reference}"
    route = ["triaged", "investigating", "contained", "resolved", "recovered", "in_review"]
    for round_, target in enumerate(route):
        def call(secret, method="GET", body=None, etag=None):
            request = urllib.request.Request(url + ("/status" if body else ""), method=method,
                                             data=json.dumps(body).encode() if body else None,
                                             headers={"Authorization": f"Bearer {secret}",
                                                      "Content-Type": "application/json",
                                                      **({"If-Match": etag} if etag else {})})
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    return response.status, response.headers.get("ETag")
            except urllib.error.HTTPError as refused:
                return refused.code, None

        etags = [call(secret)[1] for secret in secrets]
        start, answers = threading.Barrier(2), []

        def change(secret, etag, start=start, answers=answers, target=target, round_=round_):
            start.wait()
            answers.append(call(secret, "POST", {"status": target, "reason": f"round {round_}"}, etag)[0])

        threads = [threading.Thread(target=change, args=pair) for pair in zip(secrets, etags, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 409], (round_, answers)
    moves = statuses(incident.id)
    assert [target for _source, target in moves] == route
    assert len({source for source, _ in moves}) == len(route)  # never two changes from the same starting status


def test_an_acknowledgement_that_races_another_write_still_acknowledges(as_user, demo, monkeypatch):
    """A worker reminding about updates (it writes the incident too) must never cost a responder their
    acknowledgement: it is done again on the incident as it is now."""
    incident = file_incident(demo)
    db.session.commit()
    real, raced = actions.acknowledge, []

    def acknowledge(incident, *args, **kwargs):
        if not raced:
            with db.engine.begin() as other:
                other.execute(update(Incident).where(Incident.id == incident.id).values(version=Incident.version + 1))
            raced.append(True)
        return real(incident, *args, **kwargs)

    monkeypatch.setattr(actions, "acknowledge", acknowledge)
    answer = as_user("responder").post(f"/api/v1/incidents/{incident.reference}/acknowledge")
    assert answer.status_code == 200 and raced
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is not None


def test_an_answers_form_opened_before_another_correction_does_not_undo_it(as_user, demo):
    """The correction form posts every answer: saved after someone else's correction, it would silently
    put the old answers back (and the severity and obligations with them)."""
    incident = file_incident(demo, treatment="first_aid", injured_person="worker")
    db.session.commit()
    mine, theirs = as_user("supervisor"), as_user("admin")
    form = mine.get(f"/incidents/{incident.reference}/answers").get_data(as_text=True)
    seen = re.search(r'name="answers_seen" value="([0-9a-f]+)"', form).group(1)
    assert theirs.post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "injury", "injured_person": "worker", "treatment": "hospital_admitted",
        "reason": "kept in overnight", "answers_seen": seen}).status_code == 303
    stale = mine.post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "injury", "injured_person": "contractor", "treatment": "first_aid",
        "reason": "it was a contractor", "answers_seen": seen})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Changed by Admin meanwhile" in page
    assert is_checked(page, "treatment", "hospital_admitted")  # the form now shows the answers as they are
    db.session.expire_all()
    kept = db.session.get(Incident, incident.id)
    assert kept.answers["treatment"] == "hospital_admitted" and kept.answers["injured_person"] == "worker"

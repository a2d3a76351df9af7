"""The learning half through its pages, as supervisors, owners and reporters use them."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from helpers import T0, file_incident, form_report, png_bytes

from webapp.database import utcnow
from webapp.evidence.models import Evidence
from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.learning import corrective, investigation, reviews
from webapp.learning.models import CorrectiveAction, Investigation, Lesson, LessonShare


def _page(response) -> str:
    return response.get_data(as_text=True)


def _investigate(client, ref, **fields):
    form = {"why": ["The plate was wet", "The drain was blocked", ""], "immediate_causes": "Wet dock plate",
            "underlying_causes": "Drains not inspected\nNo rain procedure", "root_cause": "No drain maintenance",
            "root_cause_category": "process", "factor": ["weather", "maintenance"],
            "other_factors": "Short-staffed night shift", **fields}
    return client.post(f"/incidents/{ref}/investigation", data=form)


def test_a_supervisor_investigates_on_the_page_and_a_responder_reads_it(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor = as_user("supervisor")
    page = _page(supervisor.get(f"/incidents/{ref}"))
    assert "Post-incident review required: every P1 has a post-incident review" in page
    assert f"/incidents/{ref}/review#add-action" in page  # actions are added from the incident too
    assert "#add-action" not in _page(as_user("responder").get(f"/incidents/{ref}"))  # no role on it
    saved = _investigate(supervisor, ref)
    assert saved.status_code == 303
    found = db.session.get(Investigation, incident.id)
    assert found.whys == ["The plate was wet", "The drain was blocked"]
    assert found.underlying_causes == ["Drains not inspected", "No rain procedure"]
    assert found.contributing_factors == ["weather", "maintenance", "Short-staffed night shift"]
    reading = _page(as_user("responder").get(f"/incidents/{ref}/investigation"))
    assert "No drain maintenance" in reading and "Maintenance" in reading and "Save the investigation" not in reading
    assert as_user("responder").post(f"/incidents/{ref}/investigation", data={"root_cause": "x"}).status_code == 403

    bad = _investigate(supervisor, ref, root_cause_category="", immediate_causes="x" * 1001)
    assert bad.status_code == 400 and "immediate causes each item must be at most 1000" in _page(bad)
    assert "Drains not inspected" in _page(bad)  # what was typed is still there
    db.session.expire_all()
    assert db.session.get(Investigation, incident.id).root_cause_category == "process"

    no_name = supervisor.post(f"/incidents/{ref}/investigation/statements", data={"statement": "I saw it"})
    assert no_name.status_code == 422 and "name" in _page(no_name)
    added = supervisor.post(f"/incidents/{ref}/investigation/statements",
                            data={"name": "Dock hand", "statement": "The pallet slid", "taken_at": ""})
    assert added.status_code == 303
    again = supervisor.post(f"/incidents/{ref}/investigation/statements",
                            data={"name": "Dock hand", "statement": "The pallet slid", "taken_at": ""})
    assert again.status_code == 303
    db.session.expire_all()
    assert len(investigation.statements_of(incident)) == 1  # the retry kept once


def test_the_same_cause_at_the_same_site_within_90_days_is_a_structural_issue(as_user, demo):
    first = file_incident(demo)
    second = file_incident(demo)
    second.occurred_at = first.occurred_at + timedelta(days=12)
    other_site = file_incident(demo, site="SYD")
    db.session.commit()
    supervisor = as_user("supervisor")
    _investigate(supervisor, first.reference)
    action = corrective.create(first, {"title": "Weekly drain check", "owner_id": demo["responder"].id,
                                       "due_date": (T0 + timedelta(days=3)).date().isoformat(),
                                       "control": "administrative"}, demo["supervisor"], utcnow())
    corrective.complete(action, "On the checklist", [], demo["responder"], utcnow())
    corrective.verify(action, True, None, demo["supervisor"], utcnow())
    db.session.commit()
    _investigate(supervisor, other_site.reference)  # same category, another site: no repeat
    _investigate(supervisor, second.reference)
    page = _page(supervisor.get(f"/incidents/{second.reference}"))
    assert f"Repeat: {first.reference} had the same cause here 12 days ago" in page
    assert f"Repeat: {second.reference} had the same cause here 12 days later" in _page(
        supervisor.get(f"/incidents/{first.reference}"))
    assert other_site.reference not in page
    issues = _page(supervisor.get("/structural-issues"))
    assert "Process at Manchester plant: 2 incidents" in issues
    db.session.expire_all()
    questioned = db.session.get(CorrectiveAction, action.id)
    assert questioned.questioned_by_id == second.id
    listing = _page(supervisor.get("/actions"))
    assert "repeated the cause" in listing
    facts = supervisor.get(f"/api/v1/incidents/{second.reference}").get_json()
    assert facts["repeat_of"] == [first.reference]


def test_the_review_on_the_page_hints_at_blame_and_needs_a_second_supervisor(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    ref = incident.reference
    supervisor, admin = as_user("supervisor"), as_user("admin")
    assert "Not required" in _page(supervisor.get(f"/incidents/{ref}/review"))
    assert supervisor.post(f"/incidents/{ref}/review/start").status_code == 303
    saved = supervisor.post(f"/incidents/{ref}/review/save", data={
        "summary": "A loose grating was found", "impact": "None", "what_went_well": "Reported at once",
        "what_went_poorly": "Human error: the cleaner was careless", "where_we_got_lucky": "Nobody stepped on it",
        "lessons": "Check gratings after cleaning\nFit grating clips", "timeline": ""})
    assert saved.status_code == 303
    page = _page(supervisor.get(f"/incidents/{ref}/review"))
    assert "Wording to look at again" in page and "“careless”" in page and "“Human error”" in page
    bad_timeline = supervisor.post(f"/incidents/{ref}/review/save", data={"summary": "x", "timeline": "yesterday  x"})
    assert bad_timeline.status_code == 400 and "line 1 must start with the date" in _page(bad_timeline)
    assert supervisor.post(f"/incidents/{ref}/review/submit").status_code == 303
    own = supervisor.post(f"/incidents/{ref}/review/publish")
    assert own.status_code == 403 and "another supervisor must approve" in _page(own)
    assert admin.post(f"/incidents/{ref}/review/send_back", data={"reason": ""}).status_code == 422
    assert admin.post(f"/incidents/{ref}/review/publish").status_code == 303
    assert "Published" in _page(admin.get(f"/incidents/{ref}/review"))
    printable = _page(admin.get(f"/incidents/{ref}/review/print"))
    assert "Check gratings after cleaning" in printable and "approved by Admin" in printable
    library = _page(as_user("responder").get("/lessons?q=gratings"))
    assert "Check gratings after cleaning" in library and "Fit grating clips" not in library
    assert "Fit grating clips" in _page(as_user("responder").get("/lessons?site=MAN"))
    assert "No lesson matches" in _page(as_user("responder").get("/lessons?site=SYD"))
    assert ref in _page(as_user("responder").get("/reviews?q=grating"))
    assert as_user("reporter").get("/reviews").status_code == 403
    edit = supervisor.post(f"/incidents/{ref}/review/save", data={"summary": "changed"})
    assert edit.status_code == 422 and "published" in _page(edit)


def test_an_owner_completes_an_action_with_a_photo_and_another_verifies_it(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor, owner = as_user("supervisor"), as_user("responder")
    due = (T0 + timedelta(days=7)).date().isoformat()
    bad = supervisor.post(f"/incidents/{ref}/actions", data={"title": "Fit a guard", "owner_id": "", "due_date": due,
                                                             "control": ""})
    assert bad.status_code == 400 and "owner id is required" in _page(bad) and 'value="Fit a guard"' in _page(bad)
    made = supervisor.post(f"/incidents/{ref}/actions", data={
        "title": "Fit a guard", "owner_id": str(demo["responder"].id), "due_date": due, "control": "engineering",
        "priority": "high", "completion_criteria": "Guard fitted and interlock tested", "from": "review"})
    assert made.status_code == 303
    action = db.session.scalar(db.select(CorrectiveAction))
    assert action.from_review and action.priority == "high"
    assert "Fit a guard" in _page(owner.get("/actions"))
    assert supervisor.post(f"/actions/{action.id}/done", data={"evidence": "done"}).status_code == 403
    empty = owner.post(f"/actions/{action.id}/done", data={"evidence": ""})
    assert empty.status_code == 422 and "say what was done" in _page(empty)
    fake = owner.post(f"/actions/{action.id}/done", data={"evidence": "Fitted",
                                                         "photo_files": (io.BytesIO(b"not an image"), "guard.jpg")})
    assert fake.status_code == 400
    photo = png_bytes(colour=(10, 200, 10))
    done = owner.post(f"/actions/{action.id}/done", data={"evidence": "Guard fitted, interlock tested",
                                                         "photo_files": (io.BytesIO(photo), "guard.png")})
    assert done.status_code == 303
    db.session.expire_all()
    action = db.session.get(CorrectiveAction, action.id)
    assert action.status == "done" and len(action.photos) == 1
    sha = action.photos[0].evidence.sha256
    assert owner.get(f"/actions/{action.id}/photos/{sha}/thumbnail").status_code == 200
    assert sha in [p.evidence.sha256 for p in db.session.get(Incident, incident.id).photos]
    assert owner.post(f"/actions/{action.id}/verify", data={"effective": "yes"}).status_code == 403
    returned = supervisor.post(f"/actions/{action.id}/verify", data={"effective": "no", "note": ""})
    assert returned.status_code == 422 and "say why it is not effective" in _page(returned)
    assert supervisor.post(f"/actions/{action.id}/verify", data={"effective": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, action.id).status == "verified"
    assert as_user("reporter2").get(f"/actions/{action.id}").status_code == 404  # not theirs, not their incident
    assert as_user("reporter").get(f"/actions/{action.id}").status_code == 200  # their own report


def test_closing_on_the_page_lists_what_blocks_it_and_a_supervisor_may_close_anyway(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor = as_user("supervisor")
    refused = supervisor.post(f"/incidents/{ref}/status", data={"status": "closed"})
    assert refused.status_code == 422
    assert "cannot be closed yet" in _page(refused) and "The post-incident review is required" in _page(refused)
    assert as_user("responder").post(f"/incidents/{ref}/status",
                                     data={"status": "closed", "reason": "please"}).status_code == 422
    closed = supervisor.post(f"/incidents/{ref}/status", data={"status": "closed", "reason": "Reviewed by the client"})
    assert closed.status_code == 303
    db.session.expire_all()
    closed_incident = db.session.get(Incident, incident.id)
    assert closed_incident.status == "closed"
    assert "Closed anyway by Supervisor: Reviewed by the client" in closed_incident.timeline[-1].summary
    cancelled = file_incident(demo)
    assert supervisor.post(f"/incidents/{cancelled.reference}/status",
                           data={"status": "cancelled", "reason": "Duplicate"}).status_code == 303


def test_a_lesson_sent_to_a_site_shows_to_its_staff_until_they_tap_read(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    supervisor = demo["supervisor"]
    reviews.save(incident, {"summary": "Loose grating", "lessons": ["Clip gratings after cleaning"]}, supervisor, T0)
    reviews.submit(incident, supervisor, T0)
    reviews.publish(incident, demo["admin"], T0)
    db.session.commit()
    lesson_id = db.session.scalar(db.select(Lesson.id))
    sent = as_user("supervisor").post(f"/lessons/{lesson_id}/share", data={"site": "SYD", "note": "Check yours today"})
    assert sent.status_code == 303
    reporter = as_user("reporter")  # home site SYD
    page = _page(reporter.get("/report"))
    assert "Clip gratings after cleaning" in page and "Check yours today" in page
    assert "Clip gratings" not in _page(as_user("reporter2").get("/report"))  # MAN staff: not sent to them
    share_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    readers = _page(as_user("supervisor").get(f"/lessons/sent/{share_id}"))
    assert "0 of 3" in readers  # reporter, responder, supervisor have SYD as their home site
    assert reporter.post(f"/lessons/read/{share_id}").status_code == 303
    assert reporter.post(f"/lessons/read/{share_id}").status_code == 303  # twice is harmless
    assert "Clip gratings after cleaning" not in _page(reporter.get("/report"))
    readers = _page(as_user("supervisor").get(f"/lessons/sent/{share_id}"))
    assert "1 of 3" in readers
    assert as_user("reporter2").post(f"/lessons/read/{share_id}").status_code == 404  # not sent to their site
    assert "Clip gratings after cleaning" in _page(reporter.get("/lessons"))  # sent to their site: in their library
    assert "Clip gratings after cleaning" not in _page(as_user("reporter2").get("/lessons"))
    assert [lesson["text"] for lesson in reporter.get("/api/v1/lessons").get_json()["lessons"]] == [
        "Clip gratings after cleaning"]


def test_a_high_potential_near_miss_is_at_least_p2_flagged_and_needs_a_review(as_user, demo):
    reporter = as_user("reporter")
    sent = reporter.post("/report", data=form_report(what_happened=["near_miss"], injured_person="",
                                                     treatment="", worst_credible_outcome="serious_injury",
                                                     description="A forklift nearly hit a pedestrian"))
    assert sent.status_code == 303
    incident = db.session.scalar(db.select(Incident).order_by(Incident.id.desc()))
    assert incident.severity == "P2" and incident.high_potential
    queue = _page(as_user("supervisor").get("/incidents"))
    assert "High potential" in queue
    detail = _page(as_user("supervisor").get(f"/incidents/{incident.reference}"))
    assert "Post-incident review required: it was a high-potential incident" in detail
    assert "high potential: a near miss that could realistically have caused a serious injury" in detail
    corrected = as_user("supervisor").patch(f"/api/v1/incidents/{incident.reference}", json={
        "answers": {"worst_credible_outcome": "first_aid"}, "reason": "The forklift was 10 m away"})
    assert corrected.status_code == 200 and corrected.get_json()["high_potential"] is False
    assert corrected.get_json()["severity"] == "P4"
    api = as_user("reporter").post("/api/v1/incidents", json={
        "description": "Scaffold plank fell near the gate", "what_happened": ["dangerous_event"],
        "dangerous_events": ["fall_from_height"], "worst_credible_outcome": "fatality", "site": "SYD"})
    assert api.status_code == 201 and api.get_json()["high_potential"] is True


def test_only_people_who_may_work_on_an_incident_write_its_learning(demo):
    incident = file_incident(demo)
    assert not investigation.may_work_on(demo["responder"], incident)
    incident.tech_lead = demo["responder"]
    db.session.flush()
    assert investigation.may_work_on(demo["responder"], incident)
    assert not investigation.may_work_on(demo["reporter"], incident)


def test_the_review_saves_with_notes_of_several_lines_and_follows_the_incident_until_its_timeline_is_edited(
        as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor = as_user("supervisor")
    supervisor.post(f"/incidents/{ref}/notes", data={"note": "First line\nsecond line"})
    supervisor.post(f"/incidents/{ref}/notes", data={"note": "x" * 1500})
    page = _page(supervisor.get(f"/incidents/{ref}/review"))
    box = page[page.index('name="timeline"'):page.index("</textarea>", page.index('name="timeline"'))]
    shown = re.search(r'name="timeline_shown" value="([0-9a-f]{64})"', page).group(1)
    supervisor.post(f"/incidents/{ref}/notes", data={"note": "Added while the author was writing"})
    saved = supervisor.post(f"/incidents/{ref}/review/save", data={  # the box untouched, sent as a browser does
        "summary": "A fall", "timeline": box[box.index(">") + 1:].replace("\n", "\r\n"), "timeline_shown": shown})
    assert saved.status_code == 303, _page(saved)[:2000]
    review = reviews.review_of(db.session.get(Incident, incident.id))
    assert review.summary == "A fall" and review.timeline is None  # untouched: it still follows the incident
    edited = supervisor.post(f"/incidents/{ref}/review/save", data={
        "summary": "A fall", "timeline": "2026-01-10 09:30  The worker fell\r\n2026-01-10 09:32  First aid given"})
    assert edited.status_code == 303
    db.session.expire_all()
    assert [e["text"] for e in reviews.review_of(db.session.get(Incident, incident.id)).timeline] == [
        "The worker fell", "First aid given"]


def test_a_repeat_questions_only_actions_verified_before_the_later_incident_whichever_is_categorised_first(
        as_user, demo):
    earlier, later = file_incident(demo), file_incident(demo)
    earlier.occurred_at = later.occurred_at - timedelta(days=20)
    good = {"title": "Drain check", "owner_id": demo["responder"].id, "control": "administrative",
            "due_date": (T0 + timedelta(days=3)).date().isoformat()}
    before = corrective.create(earlier, good, demo["supervisor"], utcnow())
    after = corrective.create(earlier, {**good, "title": "Grate"}, demo["supervisor"], utcnow())
    for action, when in ((before, later.occurred_at - timedelta(days=1)),
                         (after, later.occurred_at + timedelta(days=1))):
        corrective.complete(action, "Done", [], demo["responder"], when)
        corrective.verify(action, True, None, demo["supervisor"], when)
    db.session.commit()
    supervisor = as_user("supervisor")
    _investigate(supervisor, later.reference)  # the later one first
    _investigate(supervisor, earlier.reference)
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, before.id).questioned_by_id == later.id
    assert db.session.get(CorrectiveAction, after.id).questioned_by_id is None  # verified after: not questioned


def test_a_confidential_repeat_is_not_named_to_someone_who_may_not_see_it(as_user, demo):
    secret = file_incident(demo, confidential=True)
    open_one = file_incident(demo)
    secret.occurred_at = open_one.occurred_at - timedelta(days=3)
    db.session.commit()
    supervisor = as_user("supervisor")
    _investigate(supervisor, secret.reference)
    _investigate(supervisor, open_one.reference)
    responder = as_user("responder2")
    assert responder.get(f"/api/v1/incidents/{open_one.reference}").get_json()["repeat_of"] == []
    assert secret.reference not in _page(responder.get(f"/incidents/{open_one.reference}"))
    assert supervisor.get(f"/api/v1/incidents/{open_one.reference}").get_json()["repeat_of"] == [secret.reference]


def test_someone_else_posting_photos_to_an_action_keeps_nothing(as_user, demo):
    incident = file_incident(demo)
    action = corrective.create(incident, {"title": "Guard", "owner_id": demo["responder"].id, "control": "engineering",
                                          "due_date": (T0 + timedelta(days=3)).date().isoformat()},
                               demo["supervisor"], utcnow())
    db.session.commit()
    answer = as_user("supervisor").post(f"/actions/{action.id}/done", data={
        "evidence": "x", "photo_files": (io.BytesIO(png_bytes()), "guard.png")})
    assert answer.status_code == 403
    assert db.session.scalar(db.select(db.func.count(Evidence.id))) == 0


def test_a_high_potential_incident_stays_at_least_p2(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    supervisor = as_user("supervisor")
    assert supervisor.post(f"/incidents/{incident.reference}/severity",
                           data={"severity": "P3", "reason": "minor"}).status_code == 303
    corrected = supervisor.patch(f"/api/v1/incidents/{incident.reference}", json={
        "answers": {"worst_credible_outcome": "serious_injury"}, "reason": "It could have hit someone"})
    assert corrected.get_json()["severity"] == "P2" and corrected.get_json()["high_potential"]
    refused = supervisor.post(f"/incidents/{incident.reference}/severity", data={"severity": "P4", "reason": "small"})
    assert refused.status_code == 422 and "at least P2" in _page(refused)


def test_a_review_waiting_for_approval_is_not_rewritten_and_nobody_who_wrote_in_it_publishes_it(as_user, demo):
    incident = file_incident(demo)
    incident.tech_lead = demo["responder"]
    db.session.commit()
    ref = incident.reference
    responder, supervisor, admin = as_user("responder"), as_user("supervisor"), as_user("admin")
    assert responder.post(f"/incidents/{ref}/review/save", data={"summary": "A fall from the dock"}).status_code == 303
    assert supervisor.post(f"/incidents/{ref}/review/save", data={"summary": "A fall from dock 2"}).status_code == 303
    assert responder.post(f"/incidents/{ref}/review/submit").status_code == 303
    rewrite = admin.post(f"/incidents/{ref}/review/save", data={"summary": "Something else"})
    assert rewrite.status_code == 422 and "waiting for approval" in _page(rewrite)
    assert supervisor.post(f"/incidents/{ref}/review/publish").status_code == 403  # wrote in it
    assert admin.post(f"/incidents/{ref}/review/send_back", data={"reason": "Add the impact"}).status_code == 303
    assert "Sent back:</strong> Admin: Add the impact" in _page(responder.get(f"/incidents/{ref}/review"))
    responder.post(f"/incidents/{ref}/review/save", data={"summary": "A fall from dock 2", "impact": "A broken wrist"})
    responder.post(f"/incidents/{ref}/review/submit")
    assert "Sent back" not in _page(responder.get(f"/incidents/{ref}/review"))
    assert admin.post(f"/incidents/{ref}/review/publish").status_code == 303
    assert reviews.review_of(db.session.get(Incident, incident.id)).summary == "A fall from dock 2"


def test_changing_an_actions_date_keeps_an_owner_who_has_left_and_a_lesson_goes_to_a_site_once(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    action = corrective.create(incident, {"title": "Guard", "owner_id": demo["responder"].id, "control": "engineering",
                                          "due_date": (T0 + timedelta(days=3)).date().isoformat()},
                               demo["supervisor"], utcnow())
    demo["responder"].active = False
    db.session.commit()
    supervisor = as_user("supervisor")
    page = _page(supervisor.get(f"/actions/{action.id}"))
    assert "Responder (no longer active)" in page
    new_date = (T0 + timedelta(days=9)).date().isoformat()
    assert supervisor.post(f"/actions/{action.id}/edit", data={"owner_id": str(demo["responder"].id),
                                                               "due_date": new_date}).status_code == 303
    db.session.expire_all()
    changed = db.session.get(CorrectiveAction, action.id)
    assert changed.owner_id == demo["responder"].id and changed.due_date.isoformat() == new_date
    refused = supervisor.post(f"/actions/{action.id}/edit", data={"owner_id": str(demo["responder"].id),
                                                                  "due_date": "2001-01-01"})
    assert refused.status_code == 400 and "cannot be in the past" in _page(refused)

    reviews.save(incident, {"summary": "Grating", "lessons": ["Clip gratings"]}, demo["supervisor"], T0)
    reviews.submit(incident, demo["supervisor"], T0)
    reviews.publish(incident, demo["admin"], T0)
    db.session.commit()
    lesson_id = db.session.scalar(db.select(Lesson.id))
    assert supervisor.post(f"/lessons/{lesson_id}/share", data={"site": "SYD"}).status_code == 303
    twice = supervisor.post(f"/lessons/{lesson_id}/share", data={"site": "SYD"}, follow_redirects=True)
    assert "already sent to Sydney depot" in _page(twice)
    assert db.session.scalar(db.select(db.func.count(LessonShare.id))) == 1


def test_a_cancelled_incident_needs_no_review(as_user, demo):
    incident = file_incident(demo)
    supervisor = as_user("supervisor")
    assert supervisor.post(f"/api/v1/incidents/{incident.reference}/status",
                           json={"status": "cancelled", "reason": "A duplicate of INC-000009"}).status_code == 200
    review = supervisor.get(f"/api/v1/incidents/{incident.reference}/review").get_json()
    assert review["required"] is False
    assert "<p>Post-incident review required" not in _page(supervisor.get(f"/incidents/{incident.reference}"))


def _all_rows() -> dict[str, int]:
    db.session.rollback()
    return {name: db.session.scalar(db.select(db.func.count()).select_from(table))
            for name, table in db.metadata.tables.items()}


def _learning_world(demo):
    """An incident with its review started, an open action, one done, and a lesson sent to Sydney."""
    from webapp.learning import lessons
    from webapp.organisation.models import Site
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    good = {"title": "Guard", "owner_id": demo["responder"].id, "control": "engineering",
            "due_date": (T0 + timedelta(days=3)).date().isoformat()}
    open_one = corrective.create(incident, good, demo["supervisor"], utcnow())
    done = corrective.create(incident, {**good, "title": "Rail"}, demo["supervisor"], utcnow())
    corrective.complete(done, "Fitted", [], demo["responder"], utcnow())
    reviews.save(incident, {"summary": "Grating", "lessons": ["Clip gratings"]}, demo["supervisor"], T0)
    reviews.submit(incident, demo["supervisor"], T0)
    reviews.publish(incident, demo["admin"], T0)
    lesson = db.session.scalar(db.select(Lesson))
    sent = lessons.share(lesson, db.session.scalar(db.select(Site).filter_by(code="SYD")), "", demo["supervisor"],
                         utcnow())
    other = file_incident(demo)  # its review is a draft: steps on it change something when allowed
    db.session.commit()
    return {"ref": other.reference, "open": open_one.id, "done": done.id, "lesson": lesson.id, "share": sent.id}


# (who, url, form, the field the refusal names): each something no form of ours sends, refused before the
# view does anything (the old views read the first of two values, dropped unknown fields, or kept going).
REFUSED_FORMS = [
    ("supervisor", "/incidents/{ref}/investigation", {"root_cause": ["a", "b"]}, "root_cause"),
    ("supervisor", "/incidents/{ref}/investigation", {"factor": ["weather", "luck"]}, "factor.1"),
    ("supervisor", "/incidents/{ref}/investigation", {"why": ["a"] * 8}, "why"),
    ("supervisor", "/incidents/{ref}/investigation", {"root_cause": "x", "colour": "red"}, "colour"),
    ("supervisor", "/incidents/{ref}/investigation/statements", {"name": "x" * 201, "statement": "Saw it"}, "name"),
    ("supervisor", "/incidents/{ref}/investigation/statements",
     {"name": "Al", "statement": "Saw it", "taken_at": ["2026-01-05T10:00", "2026-01-06T10:00"]}, "taken_at"),
    ("supervisor", "/incidents/{ref}/review/save", {"summary": ["one", "two"]}, "summary"),
    ("supervisor", "/incidents/{ref}/review/save", {"summary": "x" * 5001}, "summary"),
    ("supervisor", "/incidents/{ref}/review/send_back", {"reason": "x" * 1001}, "reason"),
    ("supervisor", "/incidents/{ref}/review/submit", {"urgent": "on"}, "urgent"),
    ("supervisor", "/incidents/{ref}/actions", {"title": "Guard", "owner_id": "²", "control": "engineering"},
     "owner_id"),
    ("supervisor", "/incidents/{ref}/actions", {"title": "Guard", "from": "elsewhere"}, "from"),
    ("supervisor", "/incidents/{ref}/actions", {"title": "Guard", "priority": ["high", "low"]}, "priority"),
    ("supervisor", "/actions/{open}/edit", {"due_date": ["2099-01-01", "2099-01-02"]}, "due_date"),
    ("supervisor", "/actions/{open}/edit", {"owner_id": "٣"}, "owner_id"),
    ("responder", "/actions/{open}/done", {"evidence": "x" * 5001}, "evidence"),
    ("responder", "/actions/{open}/done", {"evidence": "Fitted", "photo": "guard.png"}, "photo"),
    ("supervisor", "/actions/{done}/verify", {"effective": "maybe"}, "effective"),
    ("supervisor", "/lessons/{lesson}/share", {"site": "MAN", "note": "x" * 1001}, "note"),
    ("reporter", "/lessons/read/{share}", {"all": "yes"}, "all"),
]


@pytest.mark.parametrize("who, url, form, field", REFUSED_FORMS)
def test_a_form_no_page_of_ours_sends_is_a_400_naming_the_field_and_changes_nothing(as_user, demo, who, url, form,
                                                                                      field):
    world = _learning_world(demo)
    client = as_user(who)
    before = _all_rows()
    answer = client.post(url.format(**world), data=form)
    assert answer.status_code == 400, _page(answer)[:800]
    assert f"({field} " in _page(answer) or f"; {field} " in _page(answer), _page(answer)[:800]
    assert _all_rows() == before
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, world["open"]).status == "open"
    assert db.session.get(CorrectiveAction, world["done"]).status == "done"


def test_a_reason_typed_over_several_lines_counts_each_line_break_once(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    supervisor = as_user("supervisor")
    assert supervisor.post(f"/incidents/{incident.reference}/review/start").status_code == 303
    text = "\r\n".join(["y" * 99] * 50)  # 4,999 characters in the box, 5,048 as the browser sends them
    assert supervisor.post(f"/incidents/{incident.reference}/review/save", data={"summary": text}).status_code == 303
    assert reviews.review_of(db.session.get(Incident, incident.id)).summary == text.replace("\r\n", "\n")

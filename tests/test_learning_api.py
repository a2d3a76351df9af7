"""The learning half through the API: investigation, review, corrective actions, closing rules."""
from __future__ import annotations

from datetime import timedelta

from helpers import T0, file_incident

from webapp.extensions import db
from webapp.learning.models import Review


def _resolve(as_user, ref):
    response = as_user("supervisor").post(f"/api/v1/incidents/{ref}/status", json={"status": "resolved"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _action(client, ref, owner, **fields):
    body = {"title": "Fit a guard rail to the loading dock", "owner_id": owner.id,
            "due_date": (T0 + timedelta(days=14)).date().isoformat(), "control": "engineering",
            "completion_criteria": "Rail fitted and load-tested", **fields}
    return client.post(f"/api/v1/incidents/{ref}/actions", json=body)


def test_a_p1_needs_a_published_review_and_verified_actions_before_it_closes(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor, admin, responder = as_user("supervisor"), as_user("admin"), as_user("responder")

    facts = supervisor.get(f"/api/v1/incidents/{ref}").get_json()
    assert facts["review"] == {"status": "draft", "required": True, "due": None}
    assert facts["actions"] == [] and facts["repeat_of"] == [] and facts["high_potential"] is False

    resolved = _resolve(as_user, ref)
    due = supervisor.get(f"/api/v1/incidents/{ref}/review").get_json()["due"]
    assert due is not None
    from datetime import datetime
    assert datetime.fromisoformat(due) - datetime.fromisoformat(resolved["resolved_at"]) == timedelta(hours=48)

    blocked = supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "closed"})
    assert blocked.status_code == 409
    assert any("review is required" in b for b in blocked.get_json()["blocking"])

    investigation = {"whys": ["The pallet slid", "The dock plate was wet", "The drain was blocked"],
                     "immediate_causes": ["Wet dock plate"], "underlying_causes": ["No drain inspection"],
                     "root_cause": "Drain maintenance is not scheduled", "root_cause_category": "process",
                     "contributing_factors": ["weather", "maintenance", "Night shift short-staffed"],
                     "witness_statements": [{"name": "Dock hand", "taken_at": T0.isoformat(),
                                             "statement": "I saw the pallet slide off the plate."}]}
    assert responder.put(f"/api/v1/incidents/{ref}/investigation", json=investigation).status_code == 403
    saved = supervisor.put(f"/api/v1/incidents/{ref}/investigation", json=investigation)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["root_cause_category"] == "process"
    assert supervisor.get(f"/api/v1/incidents/{ref}/investigation").get_json()["whys"] == investigation["whys"]

    text = {"summary": "A pallet slid off a wet dock plate", "impact": "One worker admitted to hospital",
            "what_went_well": "First aid within two minutes", "what_went_poorly": "The operator failed to check",
            "where_we_got_lucky": "Nobody else was on the dock", "lessons": ["Inspect dock drains weekly"]}
    review = supervisor.put(f"/api/v1/incidents/{ref}/review", json=text).get_json()
    assert review["author"] == "supervisor@test.example" and review["status"] == "draft"
    assert any(h["phrase"].lower() == "failed to" for h in review["wording_hints"])

    assert supervisor.post(f"/api/v1/incidents/{ref}/review/publish").status_code == 422  # not submitted
    assert supervisor.post(f"/api/v1/incidents/{ref}/review/submit").get_json()["status"] == "in_review"
    mine = supervisor.post(f"/api/v1/incidents/{ref}/review/publish")
    assert mine.status_code == 403 and "another supervisor" in mine.get_json()["error"]

    first = _action(supervisor, ref, demo["responder"])
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "open"
    second = _action(supervisor, ref, demo["responder"], title="Weekly drain inspection", control="administrative")
    blocking = supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "closed"}).get_json()["blocking"]
    assert len(blocking) == 3

    assert admin.post(f"/api/v1/incidents/{ref}/review/publish").get_json()["status"] == "published"
    first_id, second_id = first.get_json()["id"], second.get_json()["id"]
    assert supervisor.post(f"/api/v1/actions/{first_id}/done", json={"evidence": "x"}).status_code == 403
    done = responder.post(f"/api/v1/actions/{first_id}/done", json={"evidence": "Rail fitted, photo on file"})
    assert done.get_json()["status"] == "done"
    assert responder.post(f"/api/v1/actions/{first_id}/verify", json={"effective": True}).status_code == 403
    assert supervisor.post(f"/api/v1/actions/{first_id}/verify", json={"effective": True}).get_json()["status"] == \
        "verified"
    responder.post(f"/api/v1/actions/{second_id}/done", json={"evidence": "Added to the weekly checklist"})
    returned = supervisor.post(f"/api/v1/actions/{second_id}/verify",
                               json={"effective": False, "note": "The checklist is not signed off by anyone"})
    assert returned.get_json()["status"] == "open"

    mine = responder.get("/api/v1/actions?owner=me").get_json()["actions"]
    assert ([a["status"] for a in mine] == ["verified", "open"]
            or sorted(a["status"] for a in mine) == ["open", "verified"])
    still = supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "closed"})
    assert still.status_code == 409 and len(still.get_json()["blocking"]) == 1

    responder.post(f"/api/v1/actions/{second_id}/done", json={"evidence": "Sign-off added"})
    supervisor.post(f"/api/v1/actions/{second_id}/verify", json={"effective": True})
    closed = supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "closed"})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"

    lessons = responder.get("/api/v1/lessons?q=drains").get_json()["lessons"]
    assert [lesson["text"] for lesson in lessons] == ["Inspect dock drains weekly"]


def test_a_supervisor_may_close_anyway_with_a_reason_a_responder_may_not(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    refused = as_user("responder").post(f"/api/v1/incidents/{ref}/status", json={"status": "closed", "reason": "done"})
    assert refused.status_code == 409
    closed = as_user("supervisor").post(f"/api/v1/incidents/{ref}/status",
                                        json={"status": "closed", "reason": "Duplicate of a review held by the client"})
    assert closed.status_code == 200
    entry = db.session.get(type(incident), incident.id).timeline[-1]
    assert entry.summary.startswith("Closed anyway by Supervisor: Duplicate of a review held by the client")
    assert db.session.scalar(db.select(Review).filter_by(incident_id=incident.id)).status == "draft"


def _names(answer, field: str) -> bool:
    """The refusal names the field (or a part of it: `whys.1`, `witness_statements.0.taken_at`)."""
    return any(key == field or key.startswith(field + ".") for key in answer.get_json()["fields"])


def test_wrong_types_and_shapes_are_400s_naming_the_field_and_change_nothing(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor = as_user("supervisor")
    for body, field in (({"root_cause_category": ["process"]}, "root_cause_category"),
                        ({"whys": "one"}, "whys"), ({"whys": [1, 2]}, "whys"),
                        ({"witness_statements": [{"name": "A", "statement": "B", "taken_at": 5}]},
                         "witness_statements"),
                        ({"witness_statements": {"name": "A"}}, "witness_statements"), ({"colour": "red"}, "colour")):
        answer = supervisor.put(f"/api/v1/incidents/{ref}/investigation", json=body)
        assert answer.status_code == 400 and _names(answer, field), body
    assert supervisor.put(f"/api/v1/incidents/{ref}/investigation", json=["x"]).status_code == 400
    good = {"title": "Guard", "owner_id": demo["responder"].id, "due_date": "2099-01-05", "control": "engineering"}
    for change, field in (({"priority": ["high"]}, "priority"), ({"control": {}}, "control"),
                          ({"owner_id": "²"}, "owner_id"), ({"owner_id": "9" * 5000}, "owner_id"),
                          ({"due_date": "2099-W01-1"}, "due_date"), ({"due_date": "2099-02-30"}, "due_date"),
                          ({"external_ref": "javascript:alert(1)"}, "external_ref"), ({"title": "x" * 201}, "title")):
        answer = supervisor.post(f"/api/v1/incidents/{ref}/actions", json={**good, **change})
        assert answer.status_code == 400 and _names(answer, field), change
    assert supervisor.post(f"/api/v1/incidents/{ref}/actions", json={**good, "owner_id": 999999}).status_code == 422
    assert supervisor.get("/api/v1/actions?owner=²").status_code == 400
    assert supervisor.get("/api/v1/actions?status=lost").status_code == 400
    assert supervisor.put(f"/api/v1/incidents/{ref}/review", json={"lessons": "one"}).status_code == 400
    # The statements form takes the form's fields (as the outbox sends them), never JSON.
    assert supervisor.post(f"/incidents/{ref}/investigation/statements", json=["x"]).status_code == 400
    assert supervisor.post(f"/incidents/{ref}/investigation/statements",
                           json={"name": "A", "statement": "B", "taken_at": 7}).status_code == 400
    assert supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "closed", "reason": 5}).status_code == 400
    assert supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "shut"}).status_code == 400
    db.session.expire_all()
    assert supervisor.get(f"/api/v1/incidents/{ref}").get_json()["actions"] == []
    assert supervisor.get(f"/api/v1/incidents/{ref}/investigation").get_json()["updated_at"] is None


def test_reporters_read_their_report_not_its_learning_and_acknowledging_follows_the_page(as_user, demo):
    incident = file_incident(demo)
    facts = as_user("reporter").get(f"/api/v1/incidents/{incident.reference}").get_json()
    assert facts["review"] is None and facts["actions"] == [] and facts["repeat_of"] == []
    assert as_user("reporter").get(f"/api/v1/incidents/{incident.reference}/review").status_code == 403
    first = as_user("responder").post(f"/api/v1/incidents/{incident.reference}/acknowledge")
    assert first.status_code == 200 and first.get_json()["acknowledged_at"] is not None
    again = as_user("supervisor").post(f"/api/v1/incidents/{incident.reference}/acknowledge")
    assert again.get_json()["acknowledged_at"] == first.get_json()["acknowledged_at"]  # the first stamps it


def test_the_same_statements_sent_again_in_any_order_or_offset_change_nothing(as_user, demo):
    incident = file_incident(demo)
    ref = incident.reference
    supervisor = as_user("supervisor")
    a = {"name": "Dock hand", "statement": "The pallet slid", "taken_at": "2026-03-02T19:00:00+10:00"}
    b = {"name": "Driver", "statement": "I reversed slowly"}
    assert supervisor.put(f"/api/v1/incidents/{ref}/investigation",
                          json={"witness_statements": [a, b]}).status_code == 200
    entries = len(db.session.get(type(incident), incident.id).timeline)
    same = {**a, "taken_at": "2026-03-02T09:00:00Z"}  # the same moment, another offset
    assert supervisor.put(f"/api/v1/incidents/{ref}/investigation", json={"witness_statements": [b, same, b]}
                          ).status_code == 200
    db.session.expire_all()
    assert len(db.session.get(type(incident), incident.id).timeline) == entries  # nothing changed: nothing logged
    kept = supervisor.get(f"/api/v1/incidents/{ref}/investigation").get_json()["witness_statements"]
    assert [(s["name"], s["taken_at"][:19]) for s in kept][0] == ("Dock hand", "2026-03-02T09:00:00")
    assert supervisor.put(f"/api/v1/incidents/{ref}/investigation", json={"witness_statements": [b]}).status_code == 200
    assert [s["name"] for s in supervisor.get(f"/api/v1/incidents/{ref}/investigation").get_json()[
        "witness_statements"]] == ["Driver"]


def _rows() -> dict[str, int]:
    db.session.rollback()
    return {name: db.session.scalar(db.select(db.func.count()).select_from(table))
            for name, table in db.metadata.tables.items()}


def test_declared_bodies_and_queries_refuse_before_anything_is_looked_up(as_user, demo):
    """Types are strict, unknown keys and parameters are refused, lengths and nesting are bounded: each a 400
    naming the field (by its path inside the body), and nothing changes."""
    incident = file_incident(demo)
    ref = incident.reference
    supervisor = as_user("supervisor")
    good = {"title": "Guard", "owner_id": demo["responder"].id, "due_date": "2099-01-05", "control": "engineering"}
    made = supervisor.post(f"/api/v1/incidents/{ref}/actions", json=good)
    assert made.status_code == 201
    action = made.get_json()["id"]
    statement = {"name": "Al", "statement": "Saw it"}
    refused = [
        ("PUT", f"/api/v1/incidents/{ref}/investigation", {"root_cause": 5}, "root_cause"),
        ("PUT", f"/api/v1/incidents/{ref}/investigation", {"root_cause": "x" * 5001}, "root_cause"),
        ("PUT", f"/api/v1/incidents/{ref}/investigation", {"whys": ["why"] * 8}, "whys"),
        ("PUT", f"/api/v1/incidents/{ref}/investigation", {"witness_statements": [{**statement, "age": 40}]},
         "witness_statements.0.age"),
        ("PUT", f"/api/v1/incidents/{ref}/investigation", {"witness_statements": [statement] * 51},
         "witness_statements"),
        ("PUT", f"/api/v1/incidents/{ref}/investigation", {"immediate_causes": [["deeper"]]}, "immediate_causes.0"),
        ("PUT", f"/api/v1/incidents/{ref}/review", {"summary": ["one"]}, "summary"),
        ("PUT", f"/api/v1/incidents/{ref}/review", {"timeline": [{"at": "2026-01-05T10:00:00Z", "text": ""}]},
         "timeline.0.text"),
        ("POST", f"/api/v1/incidents/{ref}/actions", {**good, "owner_id": str(demo["responder"].id)}, "owner_id"),
        ("POST", f"/api/v1/incidents/{ref}/actions", {**good, "owner_id": 2**31}, "owner_id"),
        ("POST", f"/api/v1/incidents/{ref}/actions", {**good, "due_date": 20990105}, "due_date"),
        ("POST", f"/api/v1/incidents/{ref}/actions", {key: v for key, v in good.items() if key != "control"},
         "control"),
        ("POST", f"/api/v1/actions/{action}/verify", {"effective": "true"}, "effective"),
        ("POST", f"/api/v1/actions/{action}/verify", {"note": "works"}, "effective"),
        ("POST", f"/api/v1/actions/{action}/done", {"evidence": "x", "photos": ["not-a-hash"]}, "photos.0"),
        ("POST", f"/api/v1/actions/{action}/done", {"evidence": "x", "photos": "ab" * 32}, "photos"),
    ]
    responder = as_user("responder")  # the owner
    before = _rows()
    for method, url, body, field in refused:
        client = responder if url.endswith("/done") else supervisor
        answer = client.open(url, method=method, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], (url, body, answer.get_json())
    for query, field in (("owner=me&owner=7", "owner"), ("owner=²", "owner"), ("status=open&colour=red", "colour"),
                         ("owner=" + "9" * 11, "owner")):
        answer = supervisor.get(f"/api/v1/actions?{query}")
        assert answer.status_code == 400 and field in answer.get_json()["fields"], query
    for query, field in (("q=" + "x" * 201, "q"), ("category=luck", "category"), ("q=a&q=b", "q")):
        answer = supervisor.get(f"/api/v1/lessons?{query}")
        assert answer.status_code == 400 and field in answer.get_json()["fields"], query
    assert _rows() == before
    assert supervisor.get("/api/v1/actions?owner=&status=").status_code == 200  # an empty filter is no filter
    assert supervisor.get("/api/v1/lessons?category=&site=").status_code == 200

"""Teams, schedules, overrides and policies through the JSON API and the admin pages, and the
supervisors' coverage warnings."""
from datetime import UTC, datetime, timedelta
from typing import get_args, get_origin
from zoneinfo import ZoneInfo

import pytest
from helpers import T0, file_incident, paged
from pydantic import BaseModel

from webapp.escalation import schemas
from webapp.escalation.engine import run_due, start_new
from webapp.escalation.models import (
    Escalation,
    EscalationPolicy,
    PolicyChoice,
    PolicyLevel,
    Schedule,
    ScheduleOverride,
    Team,
)
from webapp.extensions import db
from webapp.notify.models import PushSubscription

SYDNEY = ZoneInfo("Australia/Sydney")


def schedule_body(demo, **changes):
    body = {"name": "Night crew", "timezone": "Australia/Sydney", "period": "daily", "handoff": "19:00",
            "first_day": "2026-01-05", "members": [demo["responder"].id, demo["responder2"].id]}
    return {**body, **changes}


def test_an_admin_builds_a_team_and_its_rotation(as_user, demo):
    admin = as_user("admin")
    team = admin.post("/api/v1/teams", json={"name": "Sydney responders",
                                              "members": [demo["responder"].id, demo["supervisor"].id]})
    assert team.status_code == 201 and team.get_json()["members"] == sorted([demo["responder"].id,
                                                                               demo["supervisor"].id])
    assert admin.post("/api/v1/teams", json={"name": "sydney RESPONDERS"}).get_json()["fields"]["name"] == \
        "another team has this name"
    assert "members" in admin.post("/api/v1/teams", json={"name": "X", "members": [demo["reporter"].id]}
                                   ).get_json()["fields"]  # reporters are not paged
    created = admin.post("/api/v1/schedules", json=schedule_body(demo, team_id=team.get_json()["id"]))
    assert created.status_code == 201
    body = created.get_json()
    assert body["on_call_now"]["user_id"] in (demo["responder"].id, demo["responder2"].id)
    assert body["next"]["user_id"] != body["on_call_now"]["user_id"]
    assert datetime.fromisoformat(body["next"]["start"]).astimezone(SYDNEY).strftime("%H:%M") == "19:00"
    assert as_user("responder").get(f"/api/v1/teams/{team.get_json()['id']}").get_json()["schedules"] == [body["id"]]
    reordered = admin.patch(f"/api/v1/schedules/{body['id']}",
                            json={"members": [demo["responder2"].id, demo["responder"].id]})
    assert reordered.get_json()["members"] == [demo["responder2"].id, demo["responder"].id]


@pytest.mark.parametrize("change, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"), ({"period": "fortnightly"}, "period"),
    ({"handoff": "25:00"}, "handoff"), ({"first_day": "5 Jan"}, "first_day"), ({"members": []}, "members"),
    ({"members": [999]}, "members"), ({"name": ""}, "name"), ({"team_id": 999}, "team_id"),
])
def test_a_bad_schedule_names_what_is_wrong_and_saves_nothing(as_user, demo, change, field):
    response = as_user("admin").post("/api/v1/schedules", json=schedule_body(demo, **change))
    assert response.status_code == 400 and field in response.get_json()["fields"]
    assert db.session.scalar(db.select(db.func.count(Schedule.id))) == 0


def test_a_responder_covers_a_shift_for_themselves_and_only_themselves(app, as_user, demo, p1_policy):
    schedule_id = db.session.scalar(db.select(Schedule.id))
    start = datetime.now(UTC) - timedelta(minutes=1)
    cover = {"user_id": demo["responder2"].id, "start": start.isoformat(),
             "end": (start + timedelta(hours=3)).isoformat()}
    responder2 = as_user("responder2")
    taken = responder2.post(f"/api/v1/schedules/{schedule_id}/overrides", json=cover)
    assert taken.status_code == 201
    assert taken.get_json()["on_call_now"] == {**taken.get_json()["on_call_now"], "user_id": demo["responder2"].id,
                                               "override": True}
    # ... and the page goes to the person covering, not to the rotation's responder.
    app.config["MAIL_SERVER"] = "localhost"
    file_incident(demo)
    start_new(T0)
    run_due(datetime.now(UTC))
    assert paged() == [("responder2", 0)]
    someone_else = {**cover, "user_id": demo["responder"].id}
    refused = responder2.post(f"/api/v1/schedules/{schedule_id}/overrides", json=someone_else)
    assert refused.status_code == 403 and "yourself" in refused.get_json()["fields"]["user_id"]
    assert as_user("supervisor").post(f"/api/v1/schedules/{schedule_id}/overrides",
                                      json=someone_else).status_code == 201
    override_id = taken.get_json()["override_id"]
    assert as_user("responder").delete(f"/api/v1/schedules/{schedule_id}/overrides/{override_id}").status_code == 403
    assert responder2.delete(f"/api/v1/schedules/{schedule_id}/overrides/{override_id}").status_code == 204


@pytest.mark.parametrize("change, field", [
    ({"end": "2020-01-01T00:00:00+00:00", "start": "2019-12-31T00:00:00+00:00"}, "end"),
    ({"end": "2026-01-01T00:00:00"}, "end"),  # no offset: which midnight?
    ({"user_id": "me"}, "user_id"),
])
def test_a_bad_override_is_refused(as_user, demo, p1_policy, change, field):
    schedule_id = db.session.scalar(db.select(Schedule.id))
    start = datetime.now(UTC)
    body = {"user_id": demo["responder"].id, "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(), **change}
    response = as_user("supervisor").post(f"/api/v1/schedules/{schedule_id}/overrides", json=body)
    assert response.status_code == 400 and field in response.get_json()["fields"]


def test_policies_through_the_api_choose_and_page(app, as_user, demo, p1_policy):
    app.config["MAIL_SERVER"] = "localhost"
    db.session.scalar(db.select(PolicyChoice)).position = 50
    db.session.commit()
    body = {"name": "Manchester P1", "repeats": 1,
            "levels": [{"delay_minutes": 2, "targets": [{"kind": "user", "ref": demo["responder2"].id},
                                                         {"kind": "role", "ref": "commander"}]}],
            "rules": [{"priority": 10, "sites": ["MAN"], "severities": ["P1"], "categories": None}]}
    created = as_user("admin").post("/api/v1/escalation-policies", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["rules"] == [{"priority": 10, "sites": ["MAN"], "categories": None, "severities": ["P1"]}]
    assert created.get_json()["coverage_warnings"] == []
    file_incident(demo, site="MAN")
    file_incident(demo, site="SYD")  # Sydney: the general P1 policy
    start_new(T0)
    run_due(T0)
    assert sorted(paged()) == [("responder", 0), ("responder2", 0)]
    chosen = {e.incident_id: e.policy.name for e in db.session.scalars(db.select(Escalation))}
    assert sorted(chosen.values()) == ["Manchester P1", "P1 safety"]


@pytest.mark.parametrize("levels, field", [
    # What the declared model refuses is named by its dotted path; what needs the database, by the validator.
    ([], "levels"),
    ([{"delay_minutes": 0, "targets": [{"kind": "user", "ref": 1}]}], "levels.0.delay_minutes"),
    ([{"delay_minutes": 5, "targets": []}], "levels.0.targets"),
    ([{"delay_minutes": 5, "targets": [{"kind": "team", "ref": 1}]}], "levels.0.targets.0"),
    ([{"delay_minutes": 5, "targets": [{"kind": "schedule", "ref": 999}]}], "levels.0.targets.0"),
    ([{"delay_minutes": 5, "targets": [{"kind": "role", "ref": "janitor"}]}], "levels.0.targets.0.role.ref"),
])
def test_a_bad_policy_names_the_level_and_target(as_user, demo, levels, field):
    response = as_user("admin").post("/api/v1/escalation-policies", json={"name": "X", "levels": levels})
    assert response.status_code == 400 and field in response.get_json()["fields"]
    assert db.session.scalar(db.select(db.func.count(EscalationPolicy.id))) == 0


def test_what_is_in_use_cannot_be_deleted(as_user, demo, p1_policy):
    admin = as_user("admin")
    schedule_id = db.session.scalar(db.select(Schedule.id))
    in_use = admin.delete(f"/api/v1/schedules/{schedule_id}")
    assert in_use.status_code == 409 and "P1 safety" in in_use.get_json()["fields"][""]
    file_incident(demo)
    start_new(T0)
    assert admin.delete(f"/api/v1/escalation-policies/{p1_policy.id}").status_code == 409
    db.session.scalar(db.select(Escalation)).state = "exhausted"
    db.session.commit()
    assert admin.delete(f"/api/v1/escalation-policies/{p1_policy.id}").status_code == 204
    assert admin.delete(f"/api/v1/schedules/{schedule_id}").status_code == 204


def test_supervisors_are_warned_about_levels_nobody_can_be_alerted_on(as_user, demo, p1_policy, phone):
    queue = as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert "Coverage: 3 escalation levels would page nobody who can be alerted" in queue
    assert "Coverage" not in as_user("responder").get("/incidents").get_data(as_text=True)
    oncall = as_user("supervisor").get("/oncall").get_data(as_text=True)
    assert "<strong>P1 safety</strong>, level 1: nobody has a working alert channel" in oncall
    for key in ("responder", "supervisor", "admin"):
        phone(key)
    assert "Coverage" not in as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 3


def test_the_on_call_page_shows_now_and_next_and_takes_cover_in_local_time(as_user, demo, p1_policy):
    responder2 = as_user("responder2")
    page = responder2.get("/oncall").get_data(as_text=True)
    assert "Sydney responders" in page and "<strong>Responder</strong>" in page
    start = datetime.now(SYDNEY).replace(second=0, microsecond=0) - timedelta(minutes=5)
    form = {"start": start.strftime("%Y-%m-%dT%H:%M"), "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
    schedule_id = db.session.scalar(db.select(Schedule.id))
    done = responder2.post(f"/oncall/{schedule_id}/overrides", data=form, follow_redirects=True)
    assert "Responder2 is on call for Sydney responders" in done.get_data(as_text=True)
    override = db.session.get(Schedule, schedule_id).overrides[0]
    assert override.start == start.astimezone(UTC)  # read in the schedule's time zone
    assert override.user_id == demo["responder2"].id  # a responder's cover is always their own
    bad = responder2.post(f"/oncall/{schedule_id}/overrides", data={"start": "", "end": form["end"]})
    assert bad.status_code == 422 and "enter a date and time" in bad.get_data(as_text=True)


def test_admin_pages_build_a_policy_level_by_level(as_user, demo, p1_policy):
    admin = as_user("admin")
    schedule_id = db.session.scalar(db.select(Schedule.id))
    created = admin.post("/admin/policies", data={"name": "Spills", "repeats": "0", "delay_minutes": "10",
                                                  "targets": [f"schedule:{schedule_id}"]}, follow_redirects=True)
    assert "Added policy Spills" in created.get_data(as_text=True)
    policy = db.session.scalar(db.select(EscalationPolicy).filter_by(name="Spills"))
    admin.post(f"/admin/policies/{policy.id}/levels", data={"delay_minutes": "20",
                                                            "targets": ["role:commander",
                                                                        f"user:{demo['supervisor'].id}"]})
    admin.post(f"/admin/policies/{policy.id}/rules", data={"categories": ["environment"], "priority": "5"})
    page = admin.get("/admin/policies").get_data(as_text=True)
    assert "Page the incident commander, Supervisor, then wait 20 min for an acknowledgement" in page
    assert "Priority 5: any severity," in page
    db.session.expire_all()
    assert [lv.targets for lv in policy.levels][1] == [{"kind": "role", "ref": "commander"},
                                                      {"kind": "user", "ref": demo["supervisor"].id}]
    refused = admin.post(f"/admin/policies/{policy.id}/levels", data={"delay_minutes": "", "targets": []})
    assert refused.status_code == 422 and len(db.session.get(EscalationPolicy, policy.id).levels) == 2
    for typed in ("ten", "1.5", "1e2"):  # a number field of a novalidate form sends what was typed: the page says
        page = admin.post(f"/admin/policies/{policy.id}/levels", data={"delay_minutes": typed, "targets": []})
        assert page.status_code == 422 and "whole number of minutes" in page.get_data(as_text=True), typed
    assert len(db.session.get(EscalationPolicy, policy.id).levels) == 2
    admin.post(f"/admin/policies/{policy.id}/levels/0/remove")
    db.session.expire_all()
    assert len(db.session.get(EscalationPolicy, policy.id).levels) == 1
    assert admin.post(f"/admin/policies/{policy.id}/levels/0/remove").status_code == 422  # a policy keeps a level


def test_admin_pages_save_a_rotation_from_its_slots(as_user, demo):
    admin = as_user("admin")
    form = {"name": "Depot nights", "timezone": "Europe/London", "period": "weekly", "handoff": "08:00",
            "first_day": "2026-03-02", "team_id": "",
            "members": [str(demo["responder2"].id), "", str(demo["responder"].id), ""]}
    done = admin.post("/admin/schedules", data=form, follow_redirects=True)
    assert "Saved schedule Depot nights" in done.get_data(as_text=True)
    schedule = db.session.scalar(db.select(Schedule).filter_by(name="Depot nights"))
    assert [m.user_id for m in schedule.members] == [demo["responder2"].id, demo["responder"].id]
    bad = admin.post(f"/admin/schedules/{schedule.id}", data={**form, "timezone": "Nowhere/Else"})
    assert bad.status_code == 422 and "must be an IANA time zone" in bad.get_data(as_text=True)


# ---- declared inputs and answers (schemas.py) ----

def on_call_rows() -> tuple[int, ...]:
    db.session.rollback()
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Team, Schedule, ScheduleOverride, EscalationPolicy, PolicyLevel, PolicyChoice))


def same_shape(model, data, path="") -> None:
    """`data` has every key `model` declares and no other, with the declared types, all the way down."""
    model.model_validate(data)
    declared = {field.alias or name: field.annotation for name, field in model.model_fields.items()}
    assert set(data) == set(declared), path
    for key, annotation in declared.items():
        _same_shape_of(annotation, data[key], f"{path}.{key}")


def _same_shape_of(annotation, value, path) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        same_shape(annotation, value, path)
    elif get_origin(annotation) is list:
        for i, item in enumerate(value):
            _same_shape_of(get_args(annotation)[0], item, f"{path}.{i}")
    elif value is not None:
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                same_shape(arg, value, path)


def test_every_on_call_answer_has_the_declared_keys_and_types(as_user, demo, p1_policy):
    admin = as_user("admin")
    team = admin.post("/api/v1/teams", json={"name": "Night", "members": [demo["responder"].id]})
    same_shape(schemas.TeamOut, team.get_json())
    same_shape(schemas.TeamList, admin.get("/api/v1/teams").get_json())
    schedule_id = db.session.scalar(db.select(Schedule.id))
    start = datetime.now(UTC) + timedelta(hours=1)
    cover = admin.post(f"/api/v1/schedules/{schedule_id}/overrides",
                       json={"user_id": demo["responder2"].id, "start": start.isoformat(),
                             "end": (start + timedelta(hours=2)).isoformat()})
    assert cover.status_code == 201
    same_shape(schemas.ScheduleWithOverride, cover.get_json())
    same_shape(schemas.ScheduleList, admin.get("/api/v1/schedules").get_json())
    created = admin.post("/api/v1/schedules", json=schedule_body(demo, team_id=team.get_json()["id"]))
    same_shape(schemas.ScheduleOut, created.get_json())
    policy = admin.post("/api/v1/escalation-policies", json={
        "name": "Spills", "levels": [{"delay_minutes": 5, "targets": [{"kind": "role", "ref": "commander"}]}],
        "rules": [{"categories": ["environment"]}]})
    same_shape(schemas.PolicyOut, policy.get_json())
    same_shape(schemas.PolicyList, admin.get("/api/v1/escalation-policies").get_json())


@pytest.mark.parametrize("url, body, field", [
    ("/api/v1/teams", {"name": "Night", "colour": "red"}, "colour"),  # a key we do not take
    ("/api/v1/teams", {"name": "Night", "members": "3"}, "members"),  # text, not a list
    ("/api/v1/teams", {"name": "N" * 121}, "name"),
    ("/api/v1/schedules", {"team_id": "1"}, "team_id"),  # an id is a number, not text
    ("/api/v1/schedules", {"members": [True]}, "members.0"),
    ("/api/v1/schedules/{schedule_id}/overrides", {"note": "swap with Sam"}, "note"),
    ("/api/v1/escalation-policies", {"levels": [{"delay_minutes": 5, "note": "x",
                                                 "targets": [{"kind": "user", "ref": 1}]}]}, "levels.0.note"),
    ("/api/v1/escalation-policies", {"levels": [{"delay_minutes": 5.5, "targets": [{"kind": "user", "ref": 1}]}]},
     "levels.0.delay_minutes"),
    ("/api/v1/escalation-policies", {"rules": [{"sites": "SYD"}]}, "rules.0.sites"),
    ("/api/v1/escalation-policies", {"rules": [{"severities": ["P9"]}]}, "rules.0.severities.0"),
])
def test_the_api_refuses_what_its_models_do_not_declare_and_changes_nothing(as_user, demo, p1_policy, url, body,
                                                                              field):
    schedule_id = db.session.scalar(db.select(Schedule.id))
    start = datetime.now(UTC) + timedelta(hours=1)
    complete = {"/api/v1/teams": {},
                "/api/v1/schedules": schedule_body(demo),
                "/api/v1/schedules/{schedule_id}/overrides": {"user_id": demo["responder"].id,
                                                              "start": start.isoformat(),
                                                              "end": (start + timedelta(hours=1)).isoformat()},
                "/api/v1/escalation-policies": {"name": "X", "levels": [
                    {"delay_minutes": 5, "targets": [{"kind": "user", "ref": demo["responder"].id}]}]}}[url]
    before = on_call_rows()
    response = as_user("admin").post(url.format(schedule_id=schedule_id), json={**complete, **body})
    assert response.status_code == 400 and field in response.get_json()["fields"], response.get_json()
    assert on_call_rows() == before


def test_a_change_may_leave_keys_out_but_not_send_them_empty(as_user, demo, p1_policy):
    admin = as_user("admin")
    schedule_id = db.session.scalar(db.select(Schedule.id))
    before = on_call_rows()
    for change, field in (({"name": None}, "name"), ({"members": None}, "members"), ({"levels": None}, "levels"),
                          ({"repeats": "1"}, "repeats"), ({"extra": 1}, "extra")):
        url = f"/api/v1/escalation-policies/{p1_policy.id}" if field in ("levels", "repeats") else \
            f"/api/v1/schedules/{schedule_id}"
        response = admin.patch(url, json=change)
        assert response.status_code == 400 and field in response.get_json()["fields"], (change, response.get_json())
    assert on_call_rows() == before
    assert admin.patch(f"/api/v1/schedules/{schedule_id}", json={"team_id": None}).status_code == 200


@pytest.mark.parametrize("url, form, field", [
    ("/admin/teams", {"name": ["Day", "Night"]}, "name"),  # one name, given twice: which one was meant?
    ("/admin/teams", {"name": "N" * 121}, "name"),
    ("/admin/teams", {"name": "Night", "members": ["²"]}, "members.0"),
    ("/admin/schedules", {"name": "Night", "team_id": "²"}, "team_id"),  # was read as "no team" and saved
    ("/admin/schedules", {"name": "Night", "period": "fortnightly"}, "period"),
    ("/admin/policies", {"name": "Spills", "delay_minutes": "5", "targets": ["team:1"]}, "targets.0"),
    ("/admin/policies/{policy_id}", {"name": "P1", "colour": "red"}, "colour"),
    ("/admin/policies/{policy_id}/rules", {"priority": "5", "severities": ["P9"]}, "severities.0"),
    ("/admin/policies/{policy_id}/rules", {"priority": "5", "note": "x"}, "note"),  # was saved, note ignored
    ("/admin/policies/{policy_id}/levels/0/remove", {"index": "1"}, "index"),
    ("/oncall/{schedule_id}/overrides", {"user_id": "me", "start": "2030-01-01T08:00", "end": "2030-01-01T20:00"},
     "user_id"),  # was read as "myself" and saved
    ("/oncall/{schedule_id}/overrides", {"start": "2030-01-01T08:00" * 5, "end": "2030-01-01T20:00"}, "start"),
])
def test_the_pages_refuse_what_no_form_of_ours_sends_and_change_nothing(as_user, demo, p1_policy, url, form, field):
    url = url.format(policy_id=p1_policy.id, schedule_id=db.session.scalar(db.select(Schedule.id)))
    before = on_call_rows()
    response = as_user("admin").post(url, data=form)
    assert response.status_code == 400 and f"{field} " in response.get_data(as_text=True)
    assert on_call_rows() == before


def test_a_blank_choice_is_left_to_the_friendly_page(as_user, demo, p1_policy):
    """What a person can leave empty still gets the page with its message (422), not a 400."""
    admin = as_user("admin")
    schedule_id = db.session.scalar(db.select(Schedule.id))
    before = on_call_rows()
    assert admin.post("/admin/policies", data={"name": "", "team_id": "", "repeats": "", "delay_minutes": ""}
                      ).status_code == 422
    assert admin.post(f"/admin/policies/{p1_policy.id}/rules", data={"priority": ""}).status_code == 422
    assert admin.post("/admin/schedules", data={"name": "Night", "members": ["", ""]}).status_code == 422
    assert as_user("responder").post(f"/oncall/{schedule_id}/overrides", data={"start": "", "end": ""}
                                     ).status_code == 422
    assert on_call_rows() == before

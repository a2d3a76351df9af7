"""Every page also lands in the person's in-app alert list: a badge with how many wait for an answer,
Acknowledge from the list, reminders dismissed once dealt with."""
import re
from datetime import timedelta

import pytest
from helpers import T0, file_incident

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.notify import schemas
from webapp.notify.models import Message
from webapp.notify.outbox import queue
from webapp.notify.worker import work_once


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port}


def badge(client) -> int | None:
    page = client.get("/incidents").get_data(as_text=True)
    match = re.search(r'data-alerts-badge( hidden)?><span class="sr-only">, waiting for you: </span>(\d+)', page)
    return None if match.group(1) else int(match.group(2))


def test_a_page_lands_in_the_list_with_a_badge_and_is_acknowledged_from_it(as_user, demo, p1_policy):
    incident = file_incident(demo)
    client = as_user("responder")
    assert badge(client) is None  # queued, not yet sent: nothing shows before the phone could have it
    work_once(T0)
    assert badge(client) == 1
    assert client.get("/api/v1/alerts").get_json()["waiting"] == 1
    listing = client.get("/alerts").get_data(as_text=True)
    assert f"P1 Critical · {incident.reference}" in listing and f"Acknowledge {incident.reference}" in listing
    alert = db.session.scalar(db.select(Message).where(Message.channel == "app"))
    assert alert.state == "shown"  # the person has seen the list
    assert client.post(f"/alerts/{alert.id}/acknowledge").status_code == 303
    db.session.expire_all()
    acknowledged = db.session.get(Incident, incident.id)
    assert acknowledged.acknowledged_at is not None
    assert acknowledged.timeline[-1].summary == "Acknowledged by Responder from the alert list in the app"
    assert badge(client) is None
    assert "Acknowledge " + incident.reference not in client.get("/alerts").get_data(as_text=True)


def test_an_incident_acknowledged_by_someone_else_stops_asking_everyone(as_user, demo, p1_policy):
    incident = file_incident(demo)
    work_once(T0)
    work_once(T0 + timedelta(minutes=5))  # level 2: the supervisor too
    assert badge(as_user("responder")) == 1 and badge(as_user("supervisor")) == 1
    as_user("supervisor").post(f"/incidents/{incident.reference}/acknowledge")
    assert badge(as_user("responder")) is None and badge(as_user("supervisor")) is None


def _reminded(as_user, demo):
    """The supervisor's client, with an in-app reminder of a GDPR deadline waiting."""
    incident = file_incident(demo, treatment="first_aid")
    queue("deadline", "o1:nearly:1", T0, user=demo["supervisor"], incident_id=incident.id,
          about="GDPR: Notify the ICO: due in 18 h")
    db.session.commit()
    work_once(T0)
    return as_user("supervisor")


def test_a_reminder_waits_until_it_is_dismissed(as_user, demo):
    client = _reminded(as_user, demo)
    assert badge(client) == 1
    listing = client.get("/alerts").get_data(as_text=True)
    assert "GDPR: Notify the ICO: due in 18 h" in listing and "Dismiss" in listing
    alert = db.session.scalar(db.select(Message).where(Message.channel == "app"))
    client.post(f"/alerts/{alert.id}/dismiss")
    assert badge(client) is None


def test_nobody_answers_another_persons_alert(as_user, demo, p1_policy):
    incident = file_incident(demo)
    work_once(T0)
    alert = db.session.scalar(db.select(Message).where(Message.channel == "app"))
    assert as_user("responder2").post(f"/alerts/{alert.id}/acknowledge").status_code == 404
    assert as_user("responder2").post(f"/alerts/{alert.id}/dismiss").status_code == 404
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is None


def test_the_in_app_alert_is_there_when_the_phone_never_gets_it(as_user, demo, p1_policy, phone, push_service):
    device = phone("responder")
    push_service.gone.add(device.id)
    incident = file_incident(demo)
    work_once(T0)
    assert f"P1 Critical · {incident.reference}" in as_user("responder").get("/alerts").get_data(as_text=True)


def test_the_badge_answers_its_declared_shape_and_the_list_forms_take_only_their_token(as_user, demo):
    client = _reminded(as_user, demo)
    summary = client.get("/api/v1/alerts").get_json()
    schemas.AlertsSummary.model_validate(summary)
    assert set(summary) == set(schemas.AlertsSummary.model_fields)
    assert set(summary["latest"]) == set(schemas.LatestAlert.model_fields) and summary["latest"]["waiting"]
    alert = db.session.scalar(db.select(Message).where(Message.channel == "app"))
    for form in ({"alert_id": "1"}, {"csrf_token": "x", "next": "/incidents"}):
        for action in ("dismiss", "acknowledge"):
            response = client.post(f"/alerts/{alert.id}/{action}", data=form)
            assert response.status_code == 400 and "is not a field here" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Message, alert.id).acked_at is None and badge(client) == 1

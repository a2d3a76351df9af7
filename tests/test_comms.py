"""Major incidents, status updates on a cadence with reminders, stakeholder email."""
from datetime import UTC, datetime, timedelta

import pytest
from helpers import T0, file_incident, subject

from webapp.comms.models import StatusUpdate
from webapp.comms.rules import next_update_due, parse_emails
from webapp.comms.service import post_update, remind_updates
from webapp.database import utcnow
from webapp.extensions import db
from webapp.incidents import actions
from webapp.notify.models import Message
from webapp.notify.outbox import deliver_due


def stakeholder_emails() -> list[Message]:
    db.session.commit()
    return list(db.session.scalars(db.select(Message).where(Message.kind == "stakeholder").order_by(Message.id)))

UTC = UTC


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port}


def test_a_p1_is_a_major_incident_from_the_start_with_updates_due_at_15_minutes(as_user, demo):
    incident = file_incident(demo)
    assert incident.major_at == T0 and incident.next_update_due_at == T0 + timedelta(minutes=15)
    assert incident.timeline[-2].summary.startswith("Declared a major incident automatically: every P1")
    assert incident.timeline[-1].summary == "Post-incident review required: every P1 has a post-incident review"
    page = as_user("supervisor").get(f"/incidents/{incident.reference}").get_data(as_text=True)
    assert "Major incident</strong>" in page
    assert "Assign an incident commander and a communications lead." in page
    assert "Post-incident review required: every P1 has a post-incident review" in page


def test_declaring_a_major_incident_needs_a_commander_and_a_communications_lead(as_user, demo):
    incident = file_incident(demo, what_happened=["service_outage"], treatment=None, service_impact="team")
    assert incident.severity == "P3" and incident.major_at is None and incident.next_update_due_at is None
    supervisor = as_user("supervisor")
    refused = supervisor.post(f"/incidents/{incident.reference}/major")
    assert refused.status_code == 422
    assert "Assign an incident commander and a communications lead before declaring" in refused.get_data(as_text=True)
    for role, who in (("commander", "supervisor"), ("comms_lead", "responder")):
        supervisor.post(f"/incidents/{incident.reference}/roles", data={"role": role, "user_id": demo[who].id})
    assert as_user("responder").post(f"/incidents/{incident.reference}/major").status_code == 403
    assert supervisor.post(f"/incidents/{incident.reference}/major").status_code == 303
    db.session.expire_all()
    assert incident.major_at is not None
    assert incident.next_update_due_at - incident.major_at == timedelta(hours=4)  # a major incident: at least 4-hourly
    assert "it was declared a major incident" in (supervisor.get(f"/incidents/{incident.reference}")
                                                  .get_data(as_text=True))


def test_an_update_is_posted_emailed_to_the_stakeholders_and_moves_the_next_one(as_user, demo, smtp_server):
    demo["sites"]["MAN"].stakeholders = ["ops@customer.example", "safety@customer.example"]
    incident = file_incident(demo)
    client = as_user("responder")
    bad = client.post(f"/incidents/{incident.reference}/updates", data={"audience": "", "text": "x"})
    assert bad.status_code == 422 and "Choose who the update is for" in bad.get_data(as_text=True)
    empty = client.post(f"/incidents/{incident.reference}/updates", data={"audience": "customer", "text": " "})
    assert empty.status_code == 422 and db.session.scalar(db.select(db.func.count(StatusUpdate.id))) == 0
    client.post(f"/incidents/{incident.reference}/updates",
                data={"audience": "customer", "text": "Line 2 is stopped; the injured worker is in hospital."})
    update = db.session.scalar(db.select(StatusUpdate))
    assert update.recipients == ["ops@customer.example", "safety@customer.example"]
    assert [(m.address, m.state) for m in stakeholder_emails()] == [("ops@customer.example", "pending"),
                                                                    ("safety@customer.example", "pending")]
    db.session.expire_all()
    assert incident.next_update_due_at == update.at + timedelta(hours=1)  # P1: hourly after the first
    assert deliver_due(update.at) == 2 and deliver_due(update.at) == 0
    # One email per stakeholder: nobody sees who else was told.
    assert sorted(str(email["To"]) for email in smtp_server.messages) == ["ops@customer.example",
                                                                          "safety@customer.example"]
    for email in smtp_server.messages:
        assert email["Cc"] is None and email["Bcc"] is None
        assert subject(email) == f"Update on {incident.reference} at Manchester plant"
        assert "Line 2 is stopped" in email.get_body(preferencelist=("plain",)).get_content()
    assert [m.state for m in stakeholder_emails()] == ["sent", "sent"]
    page = client.get(f"/incidents/{incident.reference}").get_data(as_text=True)
    assert "emailed to 2" in page
    assert "Status update (customers): Line 2 is stopped" in incident.timeline[-1].summary


def test_an_update_whose_worker_died_while_sending_is_sent_after_its_lease(demo, smtp_server):
    demo["sites"]["MAN"].stakeholders = ["ops@customer.example"]
    incident = file_incident(demo)
    update = post_update(incident, "customer", "Line 2 is stopped", demo["responder"], T0)
    db.session.commit()
    # A worker claimed it and died before sending: it is "sending", and nobody else may take it yet.
    [message] = stakeholder_emails()
    message.state, message.attempts, message.next_attempt_at = "sending", 1, T0
    db.session.commit()
    assert update.recipients == ["ops@customer.example"]
    assert deliver_due(T0 + timedelta(seconds=119)) == 0  # within PAGE_LEASE_SECONDS (120)
    assert deliver_due(T0 + timedelta(seconds=120)) == 1
    [email] = smtp_server.messages
    assert "Line 2 is stopped" in email.get_body(preferencelist=("plain",)).get_content()
    assert [(m.state, m.attempts) for m in stakeholder_emails()] == [("sent", 2)]


def test_an_update_that_cannot_be_emailed_says_so_on_the_timeline(app, demo):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    demo["sites"]["MAN"].stakeholders = ["ops@customer.example"]
    incident = file_incident(demo)
    post_update(incident, "public", "Road closed", demo["responder"], T0)
    db.session.commit()
    moment = T0
    for _ in range(10):
        deliver_due(moment)
        [row] = stakeholder_emails()
        if row.state == "failed":
            break
        moment = row.next_attempt_at
    assert row.state == "failed" and "email" in row.last_error
    assert db.session.get(type(incident), incident.id).timeline[-1].summary.startswith(
        "The public update could not be emailed to ops@customer.example: email: ")


def test_internal_updates_are_not_emailed(demo):
    demo["sites"]["MAN"].stakeholders = ["ops@customer.example"]
    incident = file_incident(demo)
    update = post_update(incident, "internal", "Crane isolated", demo["responder"], T0 + timedelta(minutes=3))
    assert update.recipients == [] and stakeholder_emails() == []


def test_a_missed_update_pages_the_communications_lead_once(demo):
    incident = file_incident(demo)
    incident.comms_lead = demo["responder2"]
    db.session.commit()
    assert remind_updates(T0 + timedelta(minutes=14)) == 0
    assert remind_updates(T0 + timedelta(minutes=15)) == 1
    assert remind_updates(T0 + timedelta(minutes=20)) == 0
    reminders = list(db.session.scalars(db.select(Message).where(Message.about.is_not(None),
                                                                 Message.channel != "app")))
    assert [(n.user.name, n.about) for n in reminders] == [
        ("Responder2", f"Status update for {incident.reference} due now")]
    post_update(incident, "internal", "Scene secured", demo["responder2"], T0 + timedelta(minutes=21))
    db.session.commit()
    assert remind_updates(T0 + timedelta(minutes=80)) == 0
    assert remind_updates(T0 + timedelta(minutes=81)) == 1  # an hour after the last update


def test_cadence_rules():
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert next_update_due("P1", start, None) == start + timedelta(minutes=15)
    assert next_update_due("P2", start, start + timedelta(hours=1)) == start + timedelta(hours=5)
    assert next_update_due("P4", start, None) is None


def test_a_severity_raised_to_p1_becomes_a_major_incident(demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    actions.override_severity(incident, "P1", "gas smell near the boiler", demo["supervisor"])
    db.session.commit()
    assert incident.major_at is not None and incident.next_update_due_at is not None


def test_site_stakeholders_are_checked(as_user, demo):
    site = demo["sites"]["MAN"]
    bad = as_user("admin").post(f"/admin/sites/{site.id}",
                                data={"stakeholders": "ops@customer.example\nnot-an-address"})
    assert bad.status_code == 422 and "not-an-address&#39; is not an email address" in bad.get_data(as_text=True)
    as_user("admin").post(f"/admin/sites/{site.id}", data={"stakeholders": "Ops@Customer.example, b@c.example"})
    db.session.expire_all()
    assert site.stakeholders == ["ops@customer.example", "b@c.example"]
    assert parse_emails("") == []


def test_the_same_update_sent_twice_in_a_row_is_posted_and_emailed_once(as_user, demo, smtp_server):
    demo["sites"]["MAN"].stakeholders = ["ops@customer.example"]
    incident = file_incident(demo)
    client = as_user("responder")
    form = {"audience": "customer", "text": "Line 2 is stopped."}
    assert client.post(f"/incidents/{incident.reference}/updates", data=form).status_code == 303
    assert client.post(f"/incidents/{incident.reference}/updates", data=form).status_code == 303  # a double tap
    assert db.session.scalar(db.select(db.func.count(StatusUpdate.id))) == 1
    deliver_due(utcnow())
    assert len(smtp_server.messages) == 1
    # The same words for another audience are another update.
    client.post(f"/incidents/{incident.reference}/updates", data={**form, "audience": "internal"})
    assert db.session.scalar(db.select(db.func.count(StatusUpdate.id))) == 2


@pytest.mark.parametrize("data, field", [
    ({"audience": "press", "text": "x"}, "audience"),  # not one the form offers
    ({"audience": "internal", "text": "x" * 3001}, "text"),  # the box holds 3000
    ({"audience": ["internal", "public"], "text": "x"}, "audience"),  # which one was meant?
    ({"audience": "internal", "text": "x", "urgent": "on"}, "urgent"),
])
def test_an_update_no_form_of_ours_sends_is_a_400_naming_the_field_and_posts_nothing(as_user, demo, data, field):
    incident = file_incident(demo)
    entries = len(incident.timeline)
    response = as_user("responder").post(f"/incidents/{incident.reference}/updates", data=data)
    assert response.status_code == 400 and f"({field} " in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(StatusUpdate.id))) == 0
    assert len(db.session.get(type(incident), incident.id).timeline) == entries


def test_line_breaks_count_once_as_the_box_counts_them(as_user, demo):
    incident = file_incident(demo)
    text = "\r\n".join(["x" * 99] * 30)  # 2,999 characters in the box, 3,028 as the browser sends them
    response = as_user("responder").post(f"/incidents/{incident.reference}/updates",
                                         data={"audience": "internal", "text": text})
    assert response.status_code == 303
    assert db.session.scalar(db.select(StatusUpdate.text)) == text.replace("\r\n", "\n")


def test_declaring_a_major_incident_takes_nothing_but_the_token(as_user, demo):
    incident = file_incident(demo, what_happened=["service_outage"], treatment=None, service_impact="team")
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/major", data={"severity": "P1"})
    assert response.status_code == 400 and "(severity is not a field here)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(incident), incident.id).major_at is None

"""Emails any mail client and mail server take, read back with Python's email package; acknowledging
from the email; the development mailbox; and the start-up checks on the contact push services see."""
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from helpers import T0, VAPID_SUBJECT, file_incident, make_app, subject, text_of

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.notify import DevMailboxOutsideDevelopment
from webapp.notify.models import DevMail, Message
from webapp.notify.outbox import deliver_due
from webapp.notify.vapid import VapidSubjectInvalid, subject_problem
from webapp.notify.worker import work_once


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "PUBLIC_URL": "https://incidents.example"}


def ack_link(message) -> str:
    return re.search(r"https://incidents\.example(/ack/\S+)", text_of(message)).group(1)


def test_a_page_email_is_well_formed_with_text_html_and_an_acknowledge_link(demo, p1_policy, smtp_server):
    incident = file_incident(demo)
    work_once(T0)
    [email] = smtp_server.messages
    assert email.defects == [] and all(part.defects == [] for part in email.walk())
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]
    assert parsedate_to_datetime(email["Date"]) == T0
    assert re.fullmatch(r"<page\.\d+\.[0-9a-f]{12}@incidents\.example>", email["Message-ID"])
    assert email["Auto-Submitted"] == "auto-generated"  # RFC 3834: no out-of-office replies to a page
    assert email.envelope_to == ["responder@test.example"]
    text, html = text_of(email), email.get_body(preferencelist=("html",)).get_content()
    assert incident.description in text and "P1: a person was admitted to hospital" in text
    assert f"Open the incident: https://incidents.example/incidents/{incident.reference}" in text
    link = ack_link(email)
    assert f'href="https://incidents.example{link}"' in html and ">Acknowledge</a>" in html
    assert incident.description in html and "<script" not in html


def test_a_resent_page_keeps_its_message_id_and_date(demo, p1_policy, smtp_server):
    file_incident(demo)
    work_once(T0)
    email = db.session.scalar(db.select(Message).where(Message.channel == "email"))
    email.state, email.next_attempt_at = "pending", T0 + timedelta(minutes=3)  # as if the send was lost
    db.session.commit()
    deliver_due(T0 + timedelta(minutes=3))
    first, again = smtp_server.messages
    assert first["Message-ID"] == again["Message-ID"] and first["Date"] == again["Date"]


def test_the_acknowledge_link_works_once_without_logging_in(app, demo, p1_policy, smtp_server):
    incident = file_incident(demo)
    work_once(T0)
    link = ack_link(smtp_server.messages[0])
    browser = app.test_client()  # no session at all
    page = browser.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Acknowledge {incident.reference}?" in text and "Responder (responder@test.example)" in text
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is None  # opening the link is not acknowledging
    done = browser.post(link)
    assert done.status_code == 200 and "The escalation has stopped" in done.get_data(as_text=True)
    db.session.expire_all()
    acknowledged = db.session.get(Incident, incident.id)
    assert acknowledged.acknowledged_at is not None
    assert acknowledged.timeline[-1].summary == "Acknowledged by Responder from the link in their email"
    again = browser.post(link)
    assert again.status_code == 409 and "already used" in again.get_data(as_text=True)
    forged = browser.post(link[:-4] + "abcd")
    assert forged.status_code == 401


def test_the_acknowledge_button_needs_the_pages_csrf_token(app, demo, p1_policy, smtp_server):
    app.config["WTF_CSRF_ENABLED"] = True
    incident = file_incident(demo)
    work_once(T0)
    link = ack_link(smtp_server.messages[0])
    browser = app.test_client()
    assert browser.post(link).status_code == 400  # a forged cross-site post
    form = browser.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert browser.post(link, data={"csrf_token": token}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is not None


def test_stakeholders_each_get_their_own_email_and_never_see_each_other(demo, smtp_server):
    from webapp.comms.service import post_update
    demo["sites"]["MAN"].stakeholders = ["a@customer.example", "b@customer.example", "c@partner.example"]
    incident = file_incident(demo)
    post_update(incident, "customer", "The plant reopens at 14:00.", demo["responder"], T0)
    db.session.commit()
    deliver_due(T0)
    emails = [m for m in smtp_server.messages if "Update on" in m["Subject"]]
    assert sorted(m.envelope_to[0] for m in emails) == ["a@customer.example", "b@customer.example",
                                                         "c@partner.example"]
    for email in emails:
        assert [email["To"]] == email.envelope_to and email["Cc"] is None
        others = {"a@customer.example", "b@customer.example", "c@partner.example"} - {email["To"]}
        assert not any(address in email.as_string() for address in others)
        assert email["References"] == email["In-Reply-To"]  # threads with the incident's other updates
        assert email.defects == [] and email["Auto-Submitted"] == "auto-generated"


def test_the_development_mailbox_keeps_emails_and_shows_them(app, demo, p1_policy, as_user, smtp_server):
    app.config.update(MAIL_SERVER="", DEVELOPMENT=True, DEV_MAILBOX=True)  # as `make run` has it
    incident = file_incident(demo)
    work_once(T0)
    assert smtp_server.messages == []  # nothing leaves the machine
    [mail] = db.session.scalars(db.select(DevMail))
    assert mail.to == "responder@test.example" and mail.subject.startswith(f"[P1] {incident.reference}")
    client = as_user("responder")
    listing = client.get("/dev/mailbox").get_data(as_text=True)
    assert f"[P1] {incident.reference}" in listing and "To responder@test.example" in listing
    shown = client.get(f"/dev/mailbox/{mail.id}").get_data(as_text=True)
    assert "auto-generated" in shown and "/ack/" in shown
    html = client.get(f"/dev/mailbox/{mail.id}/html")
    assert html.status_code == 200 and html.headers["Content-Security-Policy"].startswith("default-src 'none'")
    app.config["DEV_MAILBOX"] = False
    assert client.get("/dev/mailbox").status_code == 404


def test_the_development_mailbox_is_refused_outside_development(tmp_path):
    with pytest.raises(DevMailboxOutsideDevelopment, match="DEVELOPMENT=1"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", str(tmp_path), DEV_MAILBOX=True)


@pytest.mark.parametrize("value, development, problem", [
    ("mailto:alerts@acme.example", False, None),
    ("https://acme.example/contact", False, None),
    ("mailto:alerts@localhost", False, "not a public name"),
    ("mailto:alerts@localhost", True, None),  # a developer's own machine
    ("mailto:ops@site.local", False, "not a public name"),
    ("https://127.0.0.1/x", False, "not a public name"),
    ("alerts@acme.example", False, "must start with mailto: or https://"),
    ("mailto:", False, "needs an email address"),
])
def test_the_push_contact_must_be_one_a_push_service_accepts(value, development, problem):
    found = subject_problem(value, development)
    assert (found is None) if problem is None else (problem in found)


def test_the_app_refuses_to_start_with_a_localhost_push_contact(tmp_path):
    with pytest.raises(VapidSubjectInvalid, match="VAPID_SUBJECT"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", str(tmp_path), VAPID_SUBJECT="")  # from MAIL_FROM@localhost
    assert make_app(f"sqlite:///{tmp_path / 'y.sqlite3'}", str(tmp_path), VAPID_SUBJECT="",
                    DEVELOPMENT=True).config["DEVELOPMENT"]
    assert make_app(f"sqlite:///{tmp_path / 'z.sqlite3'}", str(tmp_path), VAPID_SUBJECT="",
                    MAIL_FROM="Alerts <alerts@acme.example>") is not None
    assert VAPID_SUBJECT.startswith("mailto:")


def test_a_description_with_line_breaks_still_makes_a_one_line_subject(demo, p1_policy, smtp_server):
    incident = file_incident(demo, description="Fell from the dock.\nAmbulance called.\r\nBay 4 closed.")
    work_once(T0)
    [email] = smtp_server.messages
    assert subject(email) == f"[P1] {incident.reference} at Manchester plant: Fell from the dock. Ambulance called. " \
                             "Bay 4 closed."
    lines = text_of(email).splitlines()
    assert lines[lines.index("Fell from the dock.") + 1] == "Ambulance called."  # the body keeps the reporter's lines


def test_the_development_mailbox_shows_each_person_their_own_mail(app, demo, p1_policy, as_user, smtp_server):
    app.config.update(MAIL_SERVER="", DEVELOPMENT=True, DEV_MAILBOX=True)
    file_incident(demo)
    work_once(T0)
    [mail] = db.session.scalars(db.select(DevMail))
    assert "To responder@test.example" not in as_user("responder2").get("/dev/mailbox").get_data(as_text=True)
    assert as_user("responder2").get(f"/dev/mailbox/{mail.id}").status_code == 404
    assert "To responder@test.example" in as_user("admin").get("/dev/mailbox").get_data(as_text=True)


def test_the_old_name_of_the_loopback_setting_still_works(tmp_path, monkeypatch):
    from webapp import create_app
    base = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}", "SECRET_KEY": "t",
            "VAPID_SUBJECT": VAPID_SUBJECT}
    monkeypatch.delenv("ALLOW_LOOPBACK_TARGETS", raising=False)
    monkeypatch.setenv("PUSH_ALLOW_LOOPBACK_HTTP", "1")
    assert create_app(base, instance_path=str(tmp_path)).config["ALLOW_LOOPBACK_TARGETS"] is True
    monkeypatch.setenv("PUSH_ALLOW_LOOPBACK_HTTP", "0")
    assert create_app(base, instance_path=str(tmp_path)).config["ALLOW_LOOPBACK_TARGETS"] is False
    monkeypatch.delenv("PUSH_ALLOW_LOOPBACK_HTTP")
    assert create_app(base, instance_path=str(tmp_path)).config["ALLOW_LOOPBACK_TARGETS"] is False  # off by default
    assert create_app({**base, "PUSH_ALLOW_LOOPBACK_HTTP": True},
                      instance_path=str(tmp_path)).config["ALLOW_LOOPBACK_TARGETS"] is True

"""A supervisor on a tablet works a major incident: status updates to the customer, the answers
corrected through the guided questions, and an owner for a regulatory notification."""
from datetime import UTC, datetime

import pytest
from helpers import browser_log_in, file_incident, subject
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.notify.outbox import deliver_due
from webapp.obligations.service import obligations_of

pytestmark = pytest.mark.browser
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


@pytest.fixture
def app_config(smtp_server):
    return {"WTF_CSRF_ENABLED": True, "QUEUE_POLL_SECONDS": 1, "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port}


def supervisor_tablet(browser, live_server):
    page = browser.new_context(**TABLET).new_page()
    browser_log_in(page, live_server, "supervisor@test.example")
    return page


def test_a_customer_update_is_posted_from_the_composer_and_emailed(browser, live_server, demo, smtp_server,
                                                                    screenshot):
    demo["sites"]["MAN"].stakeholders = ["ops@customer.example"]
    incident = file_incident(demo)  # a P1: a major incident, updates every hour
    db.session.commit()
    page = supervisor_tablet(browser, live_server)
    page.goto(f"{live_server}/incidents/{incident.reference}")
    expect(page.locator(".major")).to_contain_text("Major incident")
    expect(page.locator(".major")).to_contain_text("Next status update")
    page.get_by_label("Audience").select_option(label="Customers (emailed to 1)")
    page.get_by_role("textbox", name="Status update").fill("Injured worker taken to hospital; "
                                                           "the loading bay is closed.")
    page.get_by_role("button", name="Post update").click()
    updates = page.locator("ol.updates")
    expect(updates).to_contain_text("Injured worker taken to hospital; the loading bay is closed.")
    expect(updates).to_contain_text("emailing")
    # the composer is fresh for the next one
    expect(page.get_by_role("textbox", name="Status update")).to_have_value("")
    expect(page.locator(".timeline")).to_contain_text("Status update (customers): Injured worker taken")
    expect(page.locator(".major .countdown")).to_have_text("due in 59 min")  # the next one, an hour on

    assert deliver_due(datetime.now(UTC)) == 1  # what the worker does on its next pass
    [message] = smtp_server.messages
    assert message["To"] == "ops@customer.example" and incident.reference in subject(message)
    page.reload()
    expect(page.locator("ol.updates")).to_contain_text("emailed to 1")
    screenshot(page, "tablet-status-update")


def test_an_empty_update_is_refused_and_nothing_is_posted(browser, live_server, demo):
    incident = file_incident(demo)
    db.session.commit()
    page = supervisor_tablet(browser, live_server)
    page.goto(f"{live_server}/incidents/{incident.reference}")
    page.get_by_role("button", name="Post update").click()
    # Said beside the composer, where the supervisor is looking, not at the top of the page.
    expect(page.get_by_role("region", name="Status updates").get_by_role("alert")).to_have_text(
        "Write the update first")
    expect(page.locator("ol.updates")).to_have_count(0)


def test_a_supervisor_corrects_the_answers_through_the_guided_questions(browser, live_server, demo, screenshot):
    incident = file_incident(demo, site="SYD", treatment="first_aid")  # P4: no regulator
    db.session.commit()
    page = supervisor_tablet(browser, live_server)
    page.goto(f"{live_server}/incidents/{incident.reference}")
    expect(page.locator(".obligations")).to_have_count(0)
    page.get_by_role("link", name="Correct the answers").click()
    expect(page.get_by_role("heading", name="Correct the answers")).to_be_visible()
    expect(page.get_by_label("First aid")).to_be_checked()
    # The follow-up questions come and go with the answers, as on the report form.
    expect(page.locator("#q-personal_data")).to_be_hidden()
    page.get_by_text("Personal data lost or exposed").click()
    expect(page.locator("#q-personal_data")).to_be_visible()
    page.get_by_text("Personal data lost or exposed").click()
    expect(page.locator("#q-personal_data")).to_be_hidden()

    page.get_by_text("Admitted to hospital").click()
    page.get_by_role("button", name="Save the corrected answers").click()
    expect(page.locator("#reason-error")).to_have_text("Correcting the answers needs a reason")
    expect(page.get_by_label("Admitted to hospital")).to_be_checked()  # kept for the second try
    page.get_by_label("Why are you correcting them?").fill("The hospital kept him in overnight")
    screenshot(page, "tablet-correct-answers")
    page.get_by_role("button", name="Save the corrected answers").click()

    expect(page.locator(".flash")).to_contain_text("First aid → Admitted to hospital")
    expect(page.locator(".incident-head .sev")).to_contain_text("P1")
    expect(page.locator(".obligations")).to_contain_text("Notify the WHS regulator")
    expect(page.locator(".preserve-site")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).answers["treatment"] == "hospital_admitted"


def test_a_supervisor_gives_a_notification_an_owner(browser, live_server, demo):
    incident = file_incident(demo, site="SYD")
    db.session.commit()
    [notify] = [o for o in obligations_of(incident) if o.step == "notify"]
    page = supervisor_tablet(browser, live_server)
    page.goto(f"{live_server}/incidents/{incident.reference}")
    card = page.locator(f"#obligation-{notify.id}")
    expect(card.locator(".owner")).to_have_text("Owner: the supervisors")
    card.get_by_text("Record it, or set its owner").click()
    card.get_by_label("Owner").select_option(label=demo["responder2"].name)
    card.get_by_role("button", name="Set owner").click()
    expect(page.locator(f"#obligation-{notify.id} .owner")).to_have_text(f"Owner: {demo['responder2'].name}")
    expect(page.locator(".timeline")).to_contain_text(f"owner {demo['responder2'].name}")

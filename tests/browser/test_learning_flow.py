"""After the incident, in real Chromium: a supervisor on a tablet investigates, writes the review and
creates two actions; a colleague approves it; the owner completes an action on a phone with a photo;
another supervisor verifies it; the incident closes only then. A lesson sent to a site shows to a
reporter there once. On site, a statement taken with no signal arrives when it returns."""
from datetime import timedelta

import pytest
from helpers import browser_log_in, eventually, file_incident, png_bytes, wait_until_controlled
from playwright.sync_api import expect

from webapp.database import utcnow
from webapp.extensions import db
from webapp.incidents import actions as incident_actions
from webapp.incidents.models import Incident
from webapp.learning import corrective, investigation
from webapp.learning.models import CorrectiveAction

pytestmark = pytest.mark.browser
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def signed_in(browser, live_server, email, device):
    page = browser.new_context(**device).new_page()
    browser_log_in(page, live_server, email)
    return page


def fresh(model, key):
    db.session.commit()
    return db.session.get(model, key)


def test_from_investigation_to_a_closed_incident_and_a_lesson_read_once(browser, live_server, demo, screenshot):
    incident = file_incident(demo)  # a P1 at the Manchester plant: a review is required
    incident_actions.change_status(incident, "resolved", None, demo["supervisor"], utcnow())
    db.session.commit()
    ref = incident.reference

    tablet = signed_in(browser, live_server, "supervisor@test.example", TABLET)
    tablet.goto(f"{live_server}/incidents/{ref}")
    expect(tablet.locator(".after")).to_contain_text("Post-incident review required: every P1")
    tablet.get_by_role("link", name="Investigation").click()
    for n, answer in enumerate(["The pallet slid off the dock plate", "The plate was wet",
                                "The drain beside it was blocked", "Nobody inspects that drain"]):
        tablet.get_by_label(f"Why {n + 1}", exact=True).fill(answer)
    tablet.get_by_label("Immediate causes").fill("Wet dock plate")
    tablet.get_by_label("Underlying causes").fill("No drain inspection\nNo wet-weather procedure for the dock")
    tablet.get_by_label("Root cause", exact=True).fill("Drain maintenance is not scheduled")
    tablet.get_by_label("Root-cause category").select_option("process")
    tablet.get_by_label("Weather").check()
    tablet.get_by_label("Maintenance").check()
    tablet.get_by_role("button", name="Save the investigation").click()
    expect(tablet.get_by_text("Investigation saved.")).to_be_visible()
    tablet.get_by_label("Who").fill("Dock hand on the night shift")
    tablet.get_by_label("What they saw").fill("The pallet slid off the plate as the forklift reversed.")
    tablet.get_by_role("button", name="Add the statement").click()
    expect(tablet.locator("#statements")).to_contain_text("Dock hand on the night shift")
    screenshot(tablet, "tablet-investigation")

    tablet.goto(f"{live_server}/incidents/{ref}/review")
    tablet.get_by_label("Summary").fill("A pallet slid off a wet dock plate and hit a worker's leg.")
    tablet.get_by_label("Impact").fill("One worker admitted to hospital overnight; dock closed for 3 hours.")
    tablet.get_by_label("What went well").fill("First aid within two minutes; the ambulance was called at once.")
    poorly = tablet.get_by_label("What went poorly")
    poorly.fill("The driver failed to check the plate")
    expect(tablet.locator('[data-hint-of="what_went_poorly"]')).to_contain_text("“failed to”")  # as they type
    poorly.fill("Nothing prompted a check of the plate after rain.")
    expect(tablet.locator('[data-hint-of="what_went_poorly"]')).to_have_text("")
    tablet.get_by_label("Where we got lucky").fill("Nobody else was on the dock.")
    tablet.get_by_label("Lessons").fill("Inspect dock drains weekly and after heavy rain")
    tablet.get_by_role("button", name="Save the review").click()
    expect(tablet.get_by_text("Review saved.")).to_be_visible()

    for title, owner, control in (("Fit a drained grate to the dock plate", "Responder", "engineering"),
                                  ("Add the dock drain to the weekly inspection", "Responder2", "administrative")):
        tablet.get_by_text("Add a corrective action").click()
        tablet.get_by_label("What will be done").fill(title)
        tablet.get_by_label("Owner").select_option(label=owner)
        tablet.get_by_label("Due date").fill((utcnow() + timedelta(days=14)).date().isoformat())
        tablet.get_by_label("Control").select_option(control)
        tablet.get_by_label("Done when").fill("Checked by the site supervisor")
        tablet.get_by_role("button", name="Add the action").click()
        expect(tablet.locator("#actions")).to_contain_text(title)
    tablet.get_by_role("button", name="Submit for approval").click()
    expect(tablet.get_by_text("Waiting for a supervisor who did not write it")).to_be_visible()
    screenshot(tablet, "tablet-review")

    colleague = signed_in(browser, live_server, "admin@test.example", TABLET)
    colleague.goto(f"{live_server}/incidents/{ref}/review")
    colleague.get_by_role("button", name="Approve and publish").click()
    expect(colleague.locator(".review-state")).to_contain_text("Published")

    grate, inspection = db.session.scalars(db.select(CorrectiveAction).order_by(CorrectiveAction.id)).all()
    # The second action is finished and verified elsewhere; the first is done on the owner's phone.
    corrective.complete(inspection, "On the weekly checklist", [], demo["responder2"], utcnow())
    corrective.verify(inspection, True, "Seen on this week's sheet", demo["admin"], utcnow())
    db.session.commit()

    phone = signed_in(browser, live_server, "responder@test.example", PHONE)
    phone.goto(f"{live_server}/actions")
    phone.get_by_role("link", name="Fit a drained grate to the dock plate").click()
    phone.get_by_label("What was done").fill("Grate fitted and tested with a hose: no standing water.")
    phone.set_input_files("#done-photos", [{"name": "grate.png", "mimeType": "image/png",
                                            "buffer": png_bytes(640, 480, (40, 90, 160))}])
    expect(phone.locator(".done-form .photo-previews")).to_contain_text("grate.png")
    phone.get_by_role("button", name="Mark done").tap()
    expect(phone.get_by_text("Marked done")).to_be_visible()
    expect(phone.locator(".gallery img")).to_have_count(1)
    screenshot(phone, "phone-action-done")

    tablet.goto(f"{live_server}/incidents/{ref}")
    tablet.get_by_label("Move to").select_option("closed")
    tablet.get_by_role("button", name="Change status").click()
    refusal = tablet.locator("p.error[role=alert]")
    expect(refusal).to_contain_text("cannot be closed yet")
    expect(refusal).to_contain_text("Fit a drained grate to the dock plate")
    assert fresh(Incident, incident.id).status == "resolved"

    colleague.goto(f"{live_server}/actions")
    colleague.get_by_role("link", name="Fit a drained grate to the dock plate").first.click()
    colleague.get_by_text("Yes: verified").click()
    colleague.get_by_role("button", name="Record").click()
    expect(colleague.get_by_text("Verification recorded.")).to_be_visible()

    tablet.goto(f"{live_server}/incidents/{ref}")
    tablet.get_by_label("Move to").select_option("closed")
    tablet.get_by_role("button", name="Change status").click()
    expect(tablet.locator(".incident-head .status")).to_have_text("Closed")
    assert fresh(Incident, incident.id).status == "closed"

    colleague.goto(f"{live_server}/lessons")
    colleague.get_by_text("Send to a site's staff").click()
    colleague.get_by_label("Site", exact=True).last.select_option(label="Sydney depot")
    colleague.get_by_label("Note").fill("Check the drains on your docks today.")
    colleague.get_by_role("button", name="Send").click()
    expect(colleague.get_by_text("0 of 3")).to_be_visible()
    screenshot(colleague, "tablet-lessons-readers")

    reporter = signed_in(browser, live_server, "reporter@test.example", PHONE)
    banner = reporter.locator(".lesson-banner")
    expect(banner).to_contain_text("Inspect dock drains weekly and after heavy rain")
    screenshot(reporter, "phone-lesson-banner")
    banner.get_by_role("button", name="Read").tap()
    expect(reporter.locator(".lesson-banner")).to_have_count(0)
    reporter.goto(f"{live_server}/report")
    expect(reporter.locator(".lesson-banner")).to_have_count(0)  # once
    colleague.reload()
    expect(colleague.get_by_text("1 of 3")).to_be_visible()


def test_on_site_the_investigation_reads_offline_and_a_statement_waits_for_signal(browser, live_server, demo):
    incident = file_incident(demo)
    db.session.commit()
    context = browser.new_context(**TABLET)
    page = context.new_page()
    browser_log_in(page, live_server, "supervisor@test.example")
    page.goto(f"{live_server}/incidents/{incident.reference}/investigation")
    wait_until_controlled(page)
    page.reload()  # now the worker has seen it: kept for reading with no signal
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Investigation")).to_be_visible()
    page.get_by_label("Who").fill("Forklift driver")
    page.get_by_label("What they saw").fill("The plate moved as I reversed onto it.")
    page.get_by_role("button", name="Add the statement").click()
    expect(page.get_by_text("will be added when there is signal")).to_be_visible()
    assert investigation.statements_of(incident) == []
    context.set_offline(False)
    page.evaluate("Outbox.flush(true)")
    eventually(page, "Outbox.all().then(items => items.some(i => i.kind === 'statement' && i.state === 'sent'))",
               timeout=30)
    db.session.commit()
    statements = investigation.statements_of(incident)
    assert [(s.name, s.statement) for s in statements] == [("Forklift driver",
                                                            "The plate moved as I reversed onto it.")]
    context.close()

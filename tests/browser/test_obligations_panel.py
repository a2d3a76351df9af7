"""A supervisor on a tablet records a regulatory notification: the countdown gives way to the record."""
import pytest
from helpers import browser_log_in, file_incident
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.obligations.service import obligations_of

pytestmark = pytest.mark.browser
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


def test_a_supervisor_marks_an_obligation_done_and_the_countdown_is_replaced(browser, live_server, demo, screenshot):
    incident = file_incident(demo, site="MAN", what_happened=["data_breach"], treatment=None, personal_data="yes",
                             likely_serious_harm="no")
    db.session.commit()
    [ico] = [o for o in obligations_of(incident) if (o.regime, o.step) == ("GDPR", "authority")]
    page = browser.new_context(**TABLET).new_page()
    browser_log_in(page, live_server, "supervisor@test.example")
    page.goto(f"{live_server}/incidents/{incident.reference}")
    card = page.locator(f"#obligation-{ico.id}")
    expect(card).to_contain_text("Notify the ICO")
    expect(card).to_contain_text("Within 72 h of becoming aware")
    expect(card.locator(".countdown")).to_have_text("due in 2 d 23 h")
    screenshot(page, "tablet-obligation-due")
    card.get_by_text("Record it").click()
    card.get_by_label("The regulator's reference").fill("ICO-2026-118")
    card.get_by_role("button", name="Mark done").click()
    card = page.locator(f"#obligation-{ico.id}")  # swapped in by htmx
    expect(card.locator(".obligation-state")).to_have_text("Done")
    expect(card).to_contain_text("reference ICO-2026-118")
    expect(card.locator(".countdown")).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("GDPR: Notify the ICO done (reference ICO-2026-118)")
    screenshot(page, "tablet-obligation-done")
    db.session.expire_all()
    assert [o.status for o in obligations_of(incident) if o.id == ico.id] == ["done"]

"""A reporter files on a phone; a supervisor on a tablet sees it arrive without reloading."""
import re

import pytest
from helpers import browser_log_in
from playwright.sync_api import expect

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}

pytestmark = pytest.mark.browser


log_in = browser_log_in


def test_report_from_phone_arrives_in_tablet_queue_without_reload(browser, live_server, screenshot, database_url):
    backend = database_url.split(":")[0].split("+")[0]
    tablet = browser.new_context(**TABLET).new_page()
    log_in(tablet, live_server, "supervisor@test.example")
    expect(tablet.get_by_role("heading", name="Queue")).to_be_visible()
    expect(tablet.locator("#queue-list")).to_contain_text("0 incidents")
    tablet.evaluate("window.__notReloaded = true")

    phone = browser.new_context(**PHONE).new_page()
    log_in(phone, live_server, "reporter@test.example")
    expect(phone.get_by_role("heading", name="Report an incident")).to_be_visible()
    expect(phone.get_by_text("Who was hurt?")).to_be_hidden()
    phone.get_by_text("Someone was hurt or fell ill").tap()
    expect(phone.get_by_text("Who was hurt?")).to_be_visible()  # the follow-up question appears
    phone.get_by_text("A worker").tap()
    phone.get_by_text("Admitted to hospital").tap()
    expect(phone.get_by_text("Which injuries?")).to_be_visible()
    phone.get_by_text("Broken bone (not finger, thumb or toe)").tap()
    screenshot(phone, f"phone-report-form-{backend}")
    phone.get_by_label("Describe what happened").fill("Fell from the loading dock onto concrete; ambulance took him.")
    phone.get_by_role("button", name="Submit report").tap()
    expect(phone.get_by_role("heading", name="Report sent")).to_be_visible()
    reference = phone.locator(".reference").inner_text()
    assert re.fullmatch(r"INC-\d{6}", reference)
    expect(phone.get_by_text("P1 critical")).to_be_visible()
    screenshot(phone, f"phone-report-sent-{backend}")

    row = tablet.locator("#queue-list .incident-row", has_text=reference)
    expect(row).to_be_visible(timeout=10_000)  # the queue polls; nobody reloads
    expect(row.locator(".sev")).to_have_text("P1")
    assert tablet.evaluate("window.__notReloaded") is True
    row.click()
    expect(tablet.locator("#pane")).to_contain_text("P1: a person was admitted to hospital")
    expect(tablet.locator("#pane")).to_contain_text("Broken bone (not finger, thumb or toe)")
    assert tablet.url.endswith("/incidents")  # the list stays beside the detail
    expect(row).to_have_attribute("aria-current", "true")
    tablet.wait_for_timeout(1500)  # at least one poll re-renders the list
    expect(tablet.locator("#queue-list .incident-row", has_text=reference)).to_have_attribute("aria-current", "true")
    screenshot(tablet, f"tablet-queue-{backend}")

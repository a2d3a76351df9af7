"""Every main page passes axe-core's checks (labels, contrast, landmarks...) on a phone and a tablet."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from helpers import PASSWORD, form_report

pytestmark = pytest.mark.browser

PAGES = {
    "reporter": ["/report", "/reports/mine", "/incidents/INC-000001"],
    "supervisor": ["/incidents", "/incidents/INC-000001", "/incidents/INC-000001/answers", "/alerts",
                   "/account/alerts", "/oncall"],
    "admin": ["/admin/users", "/admin/sites", "/admin/organisation", "/admin/tokens", "/admin/teams",
              "/admin/schedules", "/admin/policies", "/admin/sla", "/admin/regulatory"],
}
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}


@pytest.fixture
def database_url(tmp_path):
    """Markup does not depend on the database: SQLite only, to keep the suite quick."""
    return f"sqlite:///{tmp_path / 'a11y.sqlite3'}"


def violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("size", SIZES)
def test_pages_have_no_accessibility_violations(browser, live_server, as_user, size, p1_policy):
    as_user("reporter").post("/report", data=form_report(what_happened=["injury"], treatment="medical",
                                                         injuries=["serious_eye"]))
    axe = Axe()
    found = {}
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server}/login")
    found["/login"] = violations(axe, page)
    for role, urls in PAGES.items():
        context.clear_cookies()
        page.goto(f"{live_server}/login")
        page.fill("#email", f"{role}@test.example")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for url in urls:
            page.goto(live_server + url)
            found[f"{role} {url}"] = violations(axe, page)
    page.goto(f"{live_server}/report")
    page.get_by_text("Someone was hurt or fell ill").click()
    page.get_by_text("Seen by a GP or doctor").wait_for()
    found["guided follow-up"] = violations(axe, page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}

"""Every main page passes axe-core's checks (labels, contrast, landmarks...) on a phone and a tablet."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from helpers import PASSWORD, report

from webapp.auth.models import ApiToken
from webapp.extensions import db

pytestmark = pytest.mark.browser

PAGES = {
    "reporter": ["/report", "/reports/mine", "/incidents/INC-000001", "/actions", "/lessons"],
    "supervisor": ["/incidents", "/incidents/INC-000001", "/incidents/INC-000001/answers", "/alerts",
                   "/account/alerts", "/oncall", "/incidents/INC-000001/investigation", "/actions/1",
                   "/incidents/INC-000001/review",
                   "/incidents/INC-000001/review/print", "/incidents/INC-000001/report", "/incidents/INC-000001/packs",
                   "/actions", "/reviews", "/lessons", "/structural-issues",
                   "/metrics"],
    "admin": ["/admin/users", "/admin/sites", "/admin/organisation", "/admin/tokens", "/admin/teams",
              "/admin/schedules", "/admin/policies", "/admin/sla", "/admin/regulatory", "/admin/hours",
              "/api-reference"],
}
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}


@pytest.fixture
def database_url(tmp_path):
    """Markup does not depend on the database: SQLite only, to keep the suite quick."""
    return f"sqlite:///{tmp_path / 'a11y.sqlite3'}"


def bearer(app, user):
    """A test client that calls the API with a token, as an integration would (no CSRF: no cookie)."""
    _token, secret = ApiToken.issue(user, "accessibility test")
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("size", SIZES)
def test_pages_have_no_accessibility_violations(app, browser, live_server, demo, size, p1_policy):
    filed = bearer(app, demo["reporter"]).post("/api/v1/incidents", json=report(
        what_happened=["injury"], injured_person="worker", treatment="medical", injuries=["serious_eye"], site="SYD"))
    assert filed.get_json()["reference"] == "INC-000001"  # the pages below are about it, not a 404
    # The learning pages with something on them: an investigation, a published review, an action.
    ref = "INC-000001"
    supervisor, admin = (bearer(app, demo[who]) for who in ("supervisor", "admin"))
    steps = [
        supervisor.put(f"/api/v1/incidents/{ref}/investigation", json={
            "whys": ["Wet floor"], "root_cause_category": "process",
            "witness_statements": [{"name": "Cleaner", "statement": "Saw it"}]}),
        supervisor.put(f"/api/v1/incidents/{ref}/review", json={"summary": "A slip", "lessons": ["Sign wet floors"]}),
        supervisor.post(f"/api/v1/incidents/{ref}/actions", json={
            "title": "Non-slip mats", "owner_id": 1, "control": "engineering", "due_date": "2099-01-01"}),
        supervisor.post(f"/api/v1/incidents/{ref}/review/submit"),
        admin.post(f"/api/v1/incidents/{ref}/review/publish"),
    ]
    assert [r.status_code for r in steps] == [200, 200, 201, 200, 200]
    axe = Axe()
    found = {}
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server}/login")
    found["/login"] = violations(axe, page)
    statuses = {}
    for role, urls in PAGES.items():
        context.clear_cookies()
        page.goto(f"{live_server}/login")
        page.fill("#email", f"{role}@test.example")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for url in urls:
            statuses[f"{role} {url}"] = page.goto(live_server + url).status
            found[f"{role} {url}"] = violations(axe, page)
    page.goto(f"{live_server}/report")
    page.get_by_text("Someone was hurt or fell ill").click()
    page.get_by_text("Seen by a GP or doctor").wait_for()
    found["guided follow-up"] = violations(axe, page)
    context.close()
    assert {k: v for k, v in statuses.items() if v != 200} == {}  # each page itself, not an error page
    problems = {k: v for k, v in found.items() if v}
    assert not problems, "\n".join(f"{page}: {v}" for page, vs in problems.items() for v in vs)

"""The metrics page: supervisors read the figures as tables, filtered by period and site."""
from datetime import timedelta

from helpers import file_incident

from webapp.database import utcnow
from webapp.extensions import db


def test_a_supervisor_reads_the_metrics_filtered_by_site_with_links_to_the_incidents(as_user, demo):
    now = utcnow()
    incident = file_incident(demo, at=now - timedelta(days=2))
    incident.acknowledged_at = incident.reported_at + timedelta(minutes=7)
    file_incident(demo, at=now - timedelta(days=1), site="SYD", what_happened=["hazard"], treatment=None)
    db.session.commit()
    page = as_user("supervisor").get("/metrics").get_data(as_text=True)
    assert "Incidents: 2" in page and "7 min" in page  # the P1's time to acknowledge
    first, last = (now - timedelta(days=29)).date().isoformat(), now.date().isoformat()
    assert f"/incidents?severity=P1&amp;status=not_cancelled&amp;from={first}&amp;to={last}" in page
    only_syd = as_user("supervisor").get("/metrics?site=SYD").get_data(as_text=True)
    assert "Incidents: 1" in only_syd and (f"/incidents?severity=P4&amp;status=not_cancelled&amp;from={first}"
                                           f"&amp;to={last}&amp;site=SYD") in only_syd
    assert "site=SYD" in only_syd and "/api/v1/incidents.csv?" in only_syd
    bad = as_user("supervisor").get("/metrics?from=soon")
    assert bad.status_code == 400 and "Showing the last 30 days" in bad.get_data(as_text=True)
    assert as_user("responder").get("/metrics").status_code == 403



def test_the_queue_follows_a_figure_to_exactly_the_periods_incidents(as_user, demo):
    now = utcnow()
    old = file_incident(demo, at=now - timedelta(days=40))
    recent = file_incident(demo, at=now - timedelta(days=2))
    db.session.commit()
    since = (now - timedelta(days=29)).date().isoformat()
    queue = as_user("supervisor").get(f"/incidents?status=all&from={since}&to={now.date().isoformat()}")
    page = queue.get_data(as_text=True)
    assert recent.reference in page and old.reference not in page
    assert "as on the metrics page" in page and 'name="from"' in page  # kept by the list's own refresh
    assert old.reference in as_user("supervisor").get("/incidents?status=all&from=nonsense").get_data(as_text=True)


def test_the_page_names_the_months_without_hours_and_links_leave_cancelled_incidents_out(as_user, demo):
    now = utcnow()
    kept = file_incident(demo, at=now - timedelta(days=2))
    dropped = file_incident(demo, at=now - timedelta(days=2))
    dropped.status = "cancelled"
    db.session.commit()
    page = as_user("supervisor").get("/metrics").get_data(as_text=True)
    assert "No hours entered for: Manchester plant" in page
    link = page[page.index("/incidents?severity=P1"):].split('"')[0].replace("&amp;", "&")
    queue = as_user("supervisor").get(link).get_data(as_text=True)
    assert kept.reference in queue and dropped.reference not in queue  # the same incidents as the count


def test_a_decimal_comma_in_hours_is_refused_not_misread(as_user, demo):
    answer = as_user("admin").post("/admin/hours", data={"site": "SYD", "month": "2026-03", "hours": "12345,5"})
    assert answer.status_code == 400 and "a point for decimals" in answer.get_data(as_text=True)
    assert as_user("admin").post("/admin/hours", data={"site": "SYD", "month": "2026-03",
                                                       "hours": "12,345.5"}).status_code == 303

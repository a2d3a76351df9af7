"""Hours worked per site and month: entered by admins on the page and through the API."""
from webapp.extensions import db
from webapp.organisation.models import SiteHours


def _rows():
    db.session.commit()
    return [(r.site_id, f"{r.month:%Y-%m}", r.hours) for r in db.session.scalars(db.select(SiteHours)
                                                                                .order_by(SiteHours.month))]


def test_admins_put_hours_per_site_and_month_and_a_second_put_replaces_them(as_user, demo):
    admin = as_user("admin")
    answer = admin.put("/api/v1/sites/SYD/hours/2026-01", json={"hours": 12345.5})
    assert answer.status_code == 200 and answer.get_json() == {"site": "SYD", "month": "2026-01", "hours": 12345.5}
    assert admin.put("/api/v1/sites/SYD/hours/2026-01", json={"hours": 12000}).status_code == 200
    assert admin.put("/api/v1/sites/SYD/hours/2026-02", json={"hours": 0}).status_code == 200
    syd = demo["sites"]["SYD"].id
    assert _rows() == [(syd, "2026-01", 12000.0), (syd, "2026-02", 0.0)]
    assert [h["month"] for h in admin.get("/api/v1/sites/SYD/hours").get_json()["hours"]] == ["2026-02", "2026-01"]


def test_bad_hours_are_refused_with_the_field_named_and_nothing_stored(as_user, demo):
    admin = as_user("admin")
    for month, body, field in (("2026-13", {"hours": 1}, "month"), ("2026-1", {"hours": 1}, "month"),
                               ("26-01", {"hours": 1}, "month"), ("2026-01", {"hours": -1}, "hours"),
                               ("2026-01", {"hours": "12"}, "hours"), ("2026-01", {"hours": True}, "hours"),
                               ("2026-01", {"hours": 1e12}, "hours")):
        answer = admin.put(f"/api/v1/sites/SYD/hours/{month}", json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], (month, body)
    assert admin.put("/api/v1/sites/SYD/hours/2026-01", json={"hours": 1, "extra": 2}).status_code == 400
    assert admin.put("/api/v1/sites/NOPE/hours/2026-01", json={"hours": 1}).status_code == 404
    assert as_user("supervisor").put("/api/v1/sites/SYD/hours/2026-01", json={"hours": 1}).status_code == 403
    assert _rows() == []


def test_the_admin_page_saves_hours_and_keeps_what_was_typed_on_an_error(as_user, demo):
    admin = as_user("admin")
    bad = admin.post("/admin/hours", data={"site": "MAN", "month": "2026-03", "hours": "lots"})
    assert bad.status_code == 400 and "must be a number" in bad.get_data(as_text=True)
    assert 'value="lots"' in bad.get_data(as_text=True)
    assert admin.post("/admin/hours", data={"site": "MAN", "month": "2026-03", "hours": "8,250.5"}).status_code == 303
    page = admin.get("/admin/hours").get_data(as_text=True)
    assert "March 2026" in page and "8,250.5" in page
    assert _rows() == [(demo["sites"]["MAN"].id, "2026-03", 8250.5)]

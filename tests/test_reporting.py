"""A field worker reports from the guided form."""
import re

from helpers import form_report, input_tag, is_checked

from webapp.extensions import db
from webapp.incidents.models import Incident


def incidents():
    return list(db.session.scalars(db.select(Incident)))


def test_form_starts_with_what_happened_home_site_and_now(as_user, demo):
    page = as_user("reporter2").get("/report").get_data(as_text=True)
    assert "What happened?" in page
    assert re.search(r'<option value="MAN"[^>]* selected>', page)  # reporter2's home site
    assert re.search(r'name="occurred_at" value="\d{4}-\d\d-\d\dT\d\d:\d\d"', page)
    assert " hidden" in re.search(r'<fieldset[^>]*id="q-treatment"[^>]*>', page).group(0)  # waits for answers


def test_follow_up_questions_carry_their_conditions_and_wait_hidden(as_user):
    page = as_user("reporter").get("/report").get_data(as_text=True)
    treatment = re.search(r'<fieldset[^>]*id="q-treatment"[^>]*>', page).group(0)
    assert 'data-show-when=\'{"what_happened":["injury"]}\'' in treatment and " hidden" in treatment
    assert " disabled" in input_tag(page, "treatment", "medical")  # a hidden question sends nothing
    ransom = re.search(r'<fieldset[^>]*id="q-ransom_paid"[^>]*>', page).group(0)
    assert '"ransomware":["yes"]' in ransom


def test_a_rejected_form_shows_the_questions_its_answers_asked(as_user):
    page = as_user("reporter").post("/report",
                                    data=form_report(description="", treatment="medical")).get_data(as_text=True)
    treatment = re.search(r'<fieldset[^>]*id="q-treatment"[^>]*>', page).group(0)
    assert " hidden" not in treatment
    assert is_checked(page, "treatment", "medical")
    assert " hidden" in re.search(r'<fieldset[^>]*id="q-dangerous_events"[^>]*>', page).group(0)


def test_report_is_filed_classified_and_confirmed(as_user, demo):
    client = as_user("reporter")
    response = client.post("/report", data=form_report(treatment="hospital_admitted"))
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "INC-000001" in confirmation and "P1 critical" in confirmation
    [incident] = incidents()
    assert incident.severity == "P1" and incident.site.code == "SYD"
    assert incident.reporter_id == demo["reporter"].id
    # 09:30 Sydney time in January is 22:30 UTC the day before (AEDT, UTC+11).
    assert incident.occurred_at.isoformat() == "2026-01-09T22:30:00+00:00"
    assert incident.timeline[0].what == "reported"


def test_bad_input_shows_message_by_each_field_and_keeps_every_value(as_user):
    client = as_user("reporter")
    data = form_report(description="", days_unfit_for_work="two", treatment="medical",
                       injuries=["serious_eye"], occurred_at="2099-01-01T00:00")
    response = client.post("/report", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Describe what happened: is required" in page
    assert "must be a whole number" in page
    assert 'value="two"' in input_tag(page, "days_unfit_for_work")  # kept as typed
    assert is_checked(page, "injuries", "serious_eye")
    assert is_checked(page, "treatment", "medical")
    assert 'value="2099-01-01T00:00"' in input_tag(page, "occurred_at")
    assert incidents() == []


def test_future_time_is_refused_with_values_kept(as_user):
    response = as_user("reporter").post("/report", data=form_report(occurred_at="2099-01-01T00:00"))
    assert response.status_code == 422
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert incidents() == []


def test_double_tap_on_submit_files_one_incident(as_user):
    client = as_user("reporter")
    data = form_report()
    first = client.post("/report", data=data)
    second = client.post("/report", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(incidents()) == 1


def test_another_users_client_id_is_refused(as_user):
    data = form_report()
    as_user("reporter").post("/report", data=data)
    response = as_user("reporter2").post("/report", data=data)
    assert response.status_code == 409
    assert "already in use" in response.get_data(as_text=True)
    assert len(incidents()) == 1


def test_answers_to_questions_no_longer_asked_are_dropped(as_user):
    client = as_user("reporter")
    client.post("/report", data=form_report(what_happened=["hazard"], treatment="fatality"))
    [incident] = incidents()
    assert incident.severity == "P4"
    assert "treatment" not in incident.answers


def test_my_reports_lists_only_mine_with_status(as_user):
    as_user("reporter").post("/report", data=form_report(description="Mine: broken step"))
    as_user("reporter2").post("/report", data=form_report(description="Theirs: loose cable", site="MAN"))
    page = as_user("reporter").get("/reports/mine").get_data(as_text=True)
    assert "Mine: broken step" in page and "Reported" in page
    assert "Theirs" not in page


def test_confirmation_of_someone_elses_report_is_not_found(as_user):
    location = as_user("reporter").post("/report", data=form_report()).headers["Location"]
    assert as_user("reporter2").get(location).status_code == 404

"""Reviews nearly due or missed, and corrective actions overdue, are paged through the notification
core with a controllable clock: once each per due date, to the right people, linking to the right page."""
from datetime import timedelta

import pytest
from helpers import T0, file_incident, subject, text_of

from webapp.extensions import db
from webapp.incidents import actions as incident_actions
from webapp.learning import corrective, reviews
from webapp.learning.paging import next_check, page_actions, page_reviews
from webapp.notify.models import Message
from webapp.notify.worker import work_once


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port}


def reminders(kind):
    db.session.commit()
    return [(m.user.email.split("@")[0], m.about) for m in db.session.scalars(
        db.select(Message).where(Message.kind == kind, Message.channel != "app").order_by(Message.id))]


def test_a_p1_review_is_paged_a_day_before_it_is_due_and_again_when_missed(demo, smtp_server):
    incident = file_incident(demo)
    incident.commander = demo["responder2"]
    incident_actions.change_status(incident, "resolved", None, demo["supervisor"], T0 + timedelta(hours=1))
    db.session.commit()
    review = reviews.review_of(incident)
    assert review.due_at == T0 + timedelta(hours=49)
    assert next_check(T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)  # never looked at: now
    assert page_reviews(T0 + timedelta(hours=24, minutes=59)) == 0
    assert next_check(T0 + timedelta(hours=24, minutes=59)) == T0 + timedelta(hours=25)
    assert page_reviews(T0 + timedelta(hours=25)) == 1
    assert reminders("review_due") == [("responder2", f"Post-incident review of {incident.reference} due in 1 d")]
    assert page_reviews(T0 + timedelta(hours=30)) == 0  # once
    assert page_reviews(T0 + timedelta(hours=50)) == 1
    assert reminders("review_due")[1:] == [
        (who, f"Post-incident review of {incident.reference} overdue by 1 h") for who in ("responder2", "supervisor",
                                                                                           "admin")]
    assert page_reviews(T0 + timedelta(hours=60)) == 0
    assert next_check(T0 + timedelta(hours=60)) is None
    assert incident.timeline[-1].summary.startswith("Paged Responder2, Supervisor, Admin: Post-incident review")
    work_once(T0 + timedelta(hours=60))
    mails = [m for m in smtp_server.messages if "Post-incident review" in subject(m)]
    assert len(mails) == 4
    assert f"/incidents/{incident.reference}/review" in text_of(mails[0])


def test_a_published_review_is_not_paged_and_a_reopened_incident_pages_its_new_due_date(demo):
    incident = file_incident(demo)
    supervisor = demo["supervisor"]
    incident_actions.change_status(incident, "resolved", None, supervisor, T0 + timedelta(hours=1))
    db.session.commit()
    assert page_reviews(T0 + timedelta(hours=25)) == 1
    incident_actions.change_status(incident, "investigating", "the guard failed again",
                                   supervisor, T0 + timedelta(hours=26))
    assert reviews.review_of(incident).due_at is None  # no resolution, no clock
    incident_actions.change_status(incident, "resolved", None, supervisor, T0 + timedelta(hours=30))
    db.session.commit()
    assert reviews.review_of(incident).due_at == T0 + timedelta(hours=78)
    assert page_reviews(T0 + timedelta(hours=54)) == 1  # the new due date is paged afresh
    reviews.save(incident, {"summary": "A guard was missing"}, supervisor, T0 + timedelta(hours=55))
    reviews.submit(incident, supervisor, T0 + timedelta(hours=55))
    reviews.publish(incident, demo["admin"], T0 + timedelta(hours=56))
    db.session.commit()
    assert page_reviews(T0 + timedelta(hours=100)) == 0
    assert next_check(T0 + timedelta(hours=100)) is None


def test_an_overdue_action_pages_its_owner_then_the_supervisors_a_day_later(demo, smtp_server):
    incident = file_incident(demo)
    action = corrective.create(incident, {"title": "Fit a guard", "owner_id": demo["responder"].id,
                                          "due_date": corrective.site_today(incident, T0).isoformat(),
                                          "control": "engineering"}, demo["supervisor"], T0)
    db.session.commit()
    due = action.due_at
    assert page_actions(due - timedelta(seconds=1)) == 0
    assert page_actions(due + timedelta(minutes=5)) == 1
    assert reminders("action_overdue") == [("responder", f"Corrective action “Fit a guard” ({incident.reference}) "
                                                         "overdue by 5 min")]
    assert page_actions(due + timedelta(hours=23)) == 0
    assert page_actions(due + timedelta(hours=24)) == 1
    assert [who for who, _ in reminders("action_overdue")] == ["responder", "responder", "supervisor", "admin"]
    assert page_actions(due + timedelta(days=5)) == 0
    work_once(due + timedelta(days=5))
    mail = next(m for m in smtp_server.messages if "Fit a guard" in subject(m))
    assert f"/actions/{action.id}" in text_of(mail)

    # A new due date is paged afresh; a done action is not paged.
    corrective.edit(action, {"due_date": (due + timedelta(days=10)).date().isoformat()}, demo["supervisor"],
                    due + timedelta(days=5))
    db.session.commit()
    assert page_actions(action.due_at) == 1
    corrective.complete(action, "Guard fitted", [], demo["responder"], action.due_at + timedelta(hours=1))
    db.session.commit()
    assert page_actions(action.due_at + timedelta(days=3)) == 0


def test_a_review_no_longer_required_is_not_chased(demo, as_user):
    incident = file_incident(demo, what_happened=["near_miss"], treatment=None, worst_credible_outcome="fatality")
    assert incident.high_potential and reviews.review_of(incident).required_reason
    corrected = as_user("supervisor").patch(f"/api/v1/incidents/{incident.reference}", json={
        "answers": {"worst_credible_outcome": "none"}, "reason": "The forklift was parked"})
    assert corrected.get_json()["review"]["required"] is False
    incident = db.session.get(type(incident), incident.id)
    incident_actions.change_status(incident, "resolved", None, demo["supervisor"], T0 + timedelta(hours=1))
    db.session.commit()
    assert reviews.review_of(incident).required_reason is None
    assert page_reviews(T0 + timedelta(days=30)) == 0


def test_an_action_returned_to_open_after_its_escalation_is_chased_again(demo):
    incident = file_incident(demo)
    action = corrective.create(incident, {"title": "Fit a guard", "owner_id": demo["responder"].id,
                                          "due_date": corrective.site_today(incident, T0).isoformat(),
                                          "control": "engineering"}, demo["supervisor"], T0)
    db.session.commit()
    assert page_actions(action.due_at + timedelta(hours=25)) == 1  # first looked at late: straight to everyone
    assert [who for who, _ in reminders("action_overdue")] == ["responder", "supervisor", "admin"]
    corrective.complete(action, "Fitted", [], demo["responder"], action.due_at + timedelta(hours=26))
    corrective.verify(action, False, "The guard is loose", demo["supervisor"], action.due_at + timedelta(hours=27))
    db.session.commit()
    assert page_actions(action.due_at + timedelta(hours=28)) == 1  # open again: its owner first, alone
    assert [who for who, _ in reminders("action_overdue")][3:] == ["responder"]
    assert page_actions(action.due_at + timedelta(hours=50)) == 0
    assert page_actions(action.due_at + timedelta(hours=51)) == 1  # a day after it was returned: everyone
    assert [who for who, _ in reminders("action_overdue")][4:] == ["responder", "supervisor", "admin"]


def test_a_new_owner_of_an_overdue_action_is_paged_first_alone(demo):
    incident = file_incident(demo)
    action = corrective.create(incident, {"title": "Fit a guard", "owner_id": demo["responder"].id,
                                          "due_date": corrective.site_today(incident, T0).isoformat(),
                                          "control": "engineering"}, demo["supervisor"], T0)
    db.session.commit()
    assert page_actions(action.due_at + timedelta(hours=1)) == 1
    later = action.due_at + timedelta(hours=2)
    corrective.edit(action, {"owner_id": demo["responder2"].id}, demo["supervisor"], later)
    db.session.commit()
    assert page_actions(later) == 1
    assert [who for who, _ in reminders("action_overdue")] == ["responder", "responder2"]

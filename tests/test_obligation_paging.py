"""Obligations nearly due and overdue are paged through the escalation engine, once each."""
from datetime import timedelta

import pytest
from helpers import T0, file_incident, subject

from webapp.extensions import db
from webapp.notify.models import Message
from webapp.notify.worker import work_once
from webapp.obligations.paging import page_deadlines
from webapp.obligations.service import mark_done, obligations_of


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "OBLIGATION_NEARLY_DUE_FRACTION": 0.25}


def reminders():
    db.session.commit()
    return [(n.user.email.split("@")[0], n.about) for n in
            db.session.scalars(db.select(Message).where(Message.about.is_not(None), Message.channel != "app")
                               .order_by(Message.id))]


def gdpr_breach(demo):
    """A personal data breach at the Manchester site: the ICO within 72 h."""
    return file_incident(demo, site="MAN", what_happened=["data_breach"], treatment=None, personal_data="yes",
                         likely_serious_harm="no")


def test_a_72_hour_deadline_pages_supervisors_when_a_quarter_is_left_and_again_when_missed(demo, smtp_server):
    incident = gdpr_breach(demo)
    assert page_deadlines(T0 + timedelta(hours=53, minutes=59)) == 0  # 18 h 1 min left: more than a quarter
    assert page_deadlines(T0 + timedelta(hours=54)) == 1
    assert reminders() == [("supervisor", "GDPR: Notify the ICO: due in 18 h"),
                           ("admin", "GDPR: Notify the ICO: due in 18 h")]
    assert page_deadlines(T0 + timedelta(hours=60)) == 0  # once
    assert page_deadlines(T0 + timedelta(hours=72, minutes=30)) == 1
    assert reminders()[2:] == [("supervisor", "GDPR: Notify the ICO: overdue by 30 min"),
                               ("admin", "GDPR: Notify the ICO: overdue by 30 min")]
    assert page_deadlines(T0 + timedelta(hours=80)) == 0
    assert incident.timeline[-1].summary == "Paged Supervisor, Admin: GDPR: Notify the ICO: overdue by 30 min"
    work_once(T0 + timedelta(hours=80))  # the worker sends them (with the SLA breaches of the same pass)
    assert sorted(m["To"] for m in smtp_server.messages if "GDPR" in subject(m)) == ["admin@test.example",
                                                                                     "admin@test.example",
                                                                                     "supervisor@test.example",
                                                                                     "supervisor@test.example"]
    assert any(subject(m).startswith(f"[{incident.severity}] {incident.reference}: GDPR: Notify")
               for m in smtp_server.messages)


def test_the_incident_commander_is_paged_first_and_supervisors_when_it_is_overdue(demo):
    incident = gdpr_breach(demo)
    incident.commander = demo["responder2"]
    db.session.commit()
    page_deadlines(T0 + timedelta(hours=55))
    assert [who for who, _ in reminders()] == ["responder2"]
    page_deadlines(T0 + timedelta(hours=73))
    assert [who for who, _ in reminders()] == ["responder2", "responder2", "supervisor", "admin"]


def test_a_steps_owner_is_paged_before_the_commander_and_with_everyone_when_it_is_overdue(demo):
    incident = gdpr_breach(demo)
    incident.commander = demo["responder2"]
    [ico] = [o for o in obligations_of(incident) if o.step == "authority"]
    ico.owner = demo["responder"]
    db.session.commit()
    page_deadlines(T0 + timedelta(hours=55))
    assert [who for who, _ in reminders()] == ["responder"]
    page_deadlines(T0 + timedelta(hours=73))
    assert [who for who, _ in reminders()] == ["responder", "responder", "responder2", "supervisor", "admin"]


def test_a_step_marked_done_is_never_paged(demo):
    incident = gdpr_breach(demo)
    [ico] = [o for o in obligations_of(incident) if o.step == "authority"]
    mark_done(incident, ico.id, T0 + timedelta(hours=1), "ICO-77", demo["supervisor"], T0 + timedelta(hours=2))
    db.session.commit()
    assert page_deadlines(T0 + timedelta(days=5)) == 0 and reminders() == []


def test_an_immediate_notification_is_paged_at_once_as_due_now(demo):
    incident = file_incident(demo, site="SYD")  # a hospital admission in Sydney: notify the WHS regulator immediately
    incident.commander = demo["supervisor"]
    db.session.commit()
    assert page_deadlines(T0) == 1
    assert reminders() == [("supervisor", "AU-WHS: Notify the WHS regulator by the fastest means (phone or online): "
                                          "due now"), ("admin", "AU-WHS: Notify the WHS regulator by the fastest "
                                                                "means (phone or online): due now")]


def check_at(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id).check_at


def test_the_worker_looks_at_a_step_again_only_at_its_nearly_due_moment_then_its_deadline(demo):
    incident = gdpr_breach(demo)
    [ico] = [o for o in obligations_of(incident) if o.step == "authority"]
    assert check_at(ico) is None
    page_deadlines(T0 + timedelta(hours=1))
    assert check_at(ico) == T0 + timedelta(hours=54)  # a quarter of 72 h left
    assert page_deadlines(T0 + timedelta(hours=54)) == 1
    assert check_at(ico) == T0 + timedelta(hours=72)


def test_a_recomputed_deadline_is_looked_at_again(demo):
    from webapp.incidents import actions
    incident = gdpr_breach(demo)
    [ico] = [o for o in obligations_of(incident) if o.step == "authority"]
    page_deadlines(T0)
    actions.correct_aware_at(incident, T0 + timedelta(hours=1), "the report sat unread for an hour",
                             demo["supervisor"], T0 + timedelta(hours=2))
    db.session.commit()
    assert check_at(ico) is None
    assert page_deadlines(T0 + timedelta(hours=54)) == 0  # now due at T0 + 73 h: nearly due at 55 h
    assert check_at(ico) == T0 + timedelta(hours=55)
    assert page_deadlines(T0 + timedelta(hours=55)) == 1


def test_a_deadline_moved_while_the_worker_works_is_not_overwritten(demo, monkeypatch):
    from sqlalchemy import update

    from webapp.obligations import paging
    from webapp.obligations.models import Obligation
    incident = gdpr_breach(demo)
    [ico] = [o for o in obligations_of(incident) if o.step == "authority"]
    real = paging._page

    def meanwhile(row, *args):
        db.session.execute(update(Obligation).where(Obligation.id == row.id)  # another process recomputes it
                           .values(deadline=T0 + timedelta(hours=60), check_at=None)
                           .execution_options(synchronize_session=False))
        return real(row, *args)
    monkeypatch.setattr(paging, "_page", meanwhile)
    assert page_deadlines(T0 + timedelta(hours=55)) == 1
    assert check_at(ico) is None  # the next pass looks at the new deadline


def test_a_moved_deadline_is_paged_again_when_it_nears_and_when_it_is_missed(demo):
    from webapp.incidents import actions
    incident = gdpr_breach(demo)
    assert page_deadlines(T0 + timedelta(hours=54)) == 1  # nearly due
    assert page_deadlines(T0 + timedelta(hours=72)) == 1  # missed
    actions.correct_aware_at(incident, T0 + timedelta(hours=2), "the report sat unread for two hours",
                             demo["supervisor"], T0 + timedelta(hours=72, minutes=1))
    db.session.commit()  # the ICO is now due at T0 + 74 h
    assert page_deadlines(T0 + timedelta(hours=72, minutes=2)) == 1  # within the last quarter: nearly due
    assert page_deadlines(T0 + timedelta(hours=74)) == 1
    assert [about for _, about in reminders()][-4:] == ["GDPR: Notify the ICO: due in 1 h 58 min"] * 2 + \
        ["GDPR: Notify the ICO: due now"] * 2  # to the supervisor and the admin each time


def test_a_lead_who_cannot_be_alerted_is_passed_over_and_the_timeline_says_so(app, demo, phone):
    app.config["MAIL_SERVER"] = None  # no email: only people with a phone can be alerted
    phone("responder2")
    incident = gdpr_breach(demo)
    incident.commander = demo["responder2"]
    [ico] = [o for o in obligations_of(incident) if o.step == "authority"]
    ico.owner = demo["responder"]  # no phone
    db.session.commit()
    page_deadlines(T0 + timedelta(hours=54))
    assert [who for who, _ in reminders()] == ["responder2"]  # the owner cannot be alerted: the commander is
    page_deadlines(T0 + timedelta(hours=72))
    assert [who for who, _ in reminders()] == ["responder2", "responder2"]
    assert incident.timeline[-1].summary == ("Paged Responder2: GDPR: Notify the ICO: due now (Responder, Supervisor, "
                                             "Admin: no phone for alerts and no email set up)")

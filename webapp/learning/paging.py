"""Paging the learning half's deadlines through the notification core.

- A review not yet published is paged when nearly due (REVIEW_NEARLY_DUE before) to its author, else
  the incident commander, else the supervisors; when missed, to all of them.
- An open corrective action is paged to its owner when overdue (to the supervisors when the owner
  cannot be alerted), and to the owner and the supervisors ACTION_ESCALATE_AFTER later if still open.

Each reminder goes once per due date (a moved due date is paged afresh); each row carries the moment
the worker next looks at it, so a pass reads only what is due.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_

from ..common.timewords import countdown
from ..database import claim_rows
from ..extensions import db
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from ..notify.leads import page_leads
from .models import CorrectiveAction, Review

REVIEW_NEARLY_DUE = timedelta(hours=24)
ACTION_ESCALATE_AFTER = timedelta(hours=24)
NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # nothing more to page for this due date


def _stamp(due: datetime) -> int:
    return int(due.timestamp())


def _reviews_waiting():
    # Only a required review is chased (one written on demand has its date, but nobody is paged for it).
    return (Review.status != "published", Review.due_at.is_not(None), Review.required_reason.is_not(None),
            or_(Review.overdue_paged_for.is_(None), Review.overdue_paged_for != Review.due_at),
            # a review of an incident closed anyway (or cancelled) is no longer chased
            Review.incident_id.in_(db.select(Incident.id).where(Incident.status.in_(OPEN_STATUSES))))


def _actions_waiting():
    return (CorrectiveAction.status == "open",
            or_(CorrectiveAction.escalated_for.is_(None), CorrectiveAction.escalated_for != CorrectiveAction.due_at),
            # a cancelled incident's actions are moot; one closed anyway still has its actions chased
            CorrectiveAction.incident_id.in_(db.select(Incident.id).where(Incident.status != "cancelled")))


def page_reviews(now: datetime, limit: int = 200) -> int:
    rows = db.session.scalars(claim_rows(
        db.select(Review).where(*_reviews_waiting(), or_(Review.check_at.is_(None), Review.check_at <= now))
        .order_by(Review.due_at).limit(limit))).all()
    paged = 0
    for review in rows:
        incident, due = review.incident, review.due_at
        nearly_at = due - REVIEW_NEARLY_DUE
        leads = [review.author, incident.commander]
        path = f"/incidents/{incident.reference}/review"
        if due <= now:
            page_leads(incident, leads, "review_due", f"rv{review.id}:missed:{_stamp(due)}",
                       f"Post-incident review of {incident.reference} {countdown(due, now)}", True, now,
                       "review_page", path=path, review=review.id, kind="overdue")
            review.overdue_paged_for = review.nearly_paged_for = due
            paged += 1
        elif nearly_at <= now and review.nearly_paged_for != due:
            page_leads(incident, leads, "review_due", f"rv{review.id}:nearly:{_stamp(due)}",
                       f"Post-incident review of {incident.reference} {countdown(due, now)}", False, now,
                       "review_page", path=path, review=review.id, kind="nearly")
            review.nearly_paged_for = due
            paged += 1
        review.check_at = due if review.nearly_paged_for == due else nearly_at
        if review.overdue_paged_for == due:
            review.check_at = NEVER
    db.session.commit()
    return paged


def page_actions(now: datetime, limit: int = 200) -> int:
    rows = db.session.scalars(claim_rows(
        db.select(CorrectiveAction).where(*_actions_waiting(), or_(CorrectiveAction.check_at.is_(None),
                                                                   CorrectiveAction.check_at <= now))
        .order_by(CorrectiveAction.due_at).limit(limit))).all()
    paged = 0
    for action in rows:
        incident, due = action.incident, action.due_at
        # A day after it fell due, or after it was returned, changed or given to a new owner (who is paged
        # first, alone, however long ago the date passed).
        escalate_at = max(due, action.returned_at or due) + ACTION_ESCALATE_AFTER
        path = f"/actions/{action.id}"
        about = f"Corrective action “{action.title}” ({incident.reference}) {countdown(due, now)}"
        # Once per due date, and again once it is returned to open (a new round of reminders).
        round_ = f"{_stamp(due)}:{_stamp(action.returned_at) if action.returned_at else 0}"
        if escalate_at <= now:
            page_leads(incident, [action.owner], "action_overdue", f"ca{action.id}:escalated:{round_}",
                       about + f"; owner {action.owner.name}", True, now, "action_page", path=path,
                       action=action.id, kind="escalated")
            action.escalated_for = action.overdue_paged_for = due
            paged += 1
        elif due <= now and action.overdue_paged_for != due:
            page_leads(incident, [action.owner], "action_overdue", f"ca{action.id}:overdue:{round_}", about,
                       False, now, "action_page", path=path, action=action.id, kind="overdue")
            action.overdue_paged_for = due
            paged += 1
        action.check_at = NEVER if action.escalated_for == due else (
            escalate_at if action.overdue_paged_for == due else due)
    db.session.commit()
    return paged


def page_due(now: datetime) -> int:
    return page_reviews(now) + page_actions(now)


def next_check(now: datetime) -> datetime | None:
    """When the worker next has a review or an action to look at (now, for one never looked at)."""
    unchecked = db.session.scalar(db.select(Review.id).where(*_reviews_waiting(), Review.check_at.is_(None)).limit(1)) \
        or db.session.scalar(db.select(CorrectiveAction.id).where(*_actions_waiting(),
                                                                  CorrectiveAction.check_at.is_(None)).limit(1))
    if unchecked:
        return now
    moments = [db.session.scalar(db.select(db.func.min(Review.check_at)).where(*_reviews_waiting())),
               db.session.scalar(db.select(db.func.min(CorrectiveAction.check_at)).where(*_actions_waiting()))]
    moments = [m for m in moments if m is not None and m != NEVER]
    return min(moments) if moments else None


def recheck_all() -> None:
    db.session.execute(db.update(Review).where(Review.status != "published").values(check_at=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(db.update(CorrectiveAction).where(CorrectiveAction.status == "open").values(check_at=None)
                       .execution_options(synchronize_session=False))
    db.session.commit()


"""Pages for the learning half: investigation, review (and its printable copy), corrective actions,
the Lessons library, lessons to read, and structural issues. Thin: the work is in the services."""
from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..auth.security import any_user_required, not_from_other_sites, per_user, staff_required, supervisor_required
from ..common.errors import ActionRefused, Invalid, refusal_status
from ..common.http import check_csrf, is_htmx, wants_json
from ..common.pdf import PDF_LIMIT
from ..common.schemas import Form, declare, limit_body
from ..common.timewords import read_local_datetime
from ..database import utcnow
from ..evidence.service import PHOTOS_FORM_LIMIT, derived, photos_from_request
from ..extensions import csrf, db, limiter
from ..incidents.actions import export_pdf, record_export
from ..incidents.models import Incident
from ..incidents.views import visible_incident
from ..organisation.models import Site
from ..rules import learning as rules
from ..rules.classification import CATEGORIES
from . import corrective, investigation, lessons, repeats, reviews
from .models import Lesson, LessonShare, Review
from .schemas import (
    ActionEditForm,
    ActionForm,
    DoneForm,
    InvestigationForm,
    ReviewStepForm,
    ShareForm,
    StatementForm,
    VerifyForm,
)

bp = Blueprint("learning", __name__)


def _people() -> list[User]:
    return list(db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.name)))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _echo(form: Form) -> dict[str, str]:
    """What was sent, as the form's inputs show it again (a refused form keeps what was typed)."""
    return {k: "" if v is None else str(v) for k, v in form.model_dump(by_alias=True, exclude_unset=True).items()}


def _refusal(error: ActionRefused | Invalid) -> tuple[str, int]:
    if isinstance(error, Invalid):
        return "; ".join(f"{k.replace('_', ' ')} {v}" if k else v for k, v in error.fields.items()), error.status
    return str(error), refusal_status(error)


# --- Investigation -------------------------------------------------------------------------------------

def _investigation_page(incident: Incident, error: str | None = None, status: int = 200, values: dict | None = None):
    found = investigation.investigation_of(incident)
    category = found.root_cause_category if found else None
    return render_template(
        "learning/investigation.html", incident=incident, inv=found, values=values,
        statements=investigation.statements_of(incident),
        may_edit=investigation.may_work_on(current_user, incident), error=error,
        categories=rules.ROOT_CAUSE_CATEGORIES, factors=rules.CONTRIBUTING_FACTORS, max_whys=rules.MAX_WHYS,
        repeats=repeats.describe(incident, repeats.repeat_of(incident, category, current_user)), now=utcnow()), status


@bp.get("/incidents/<reference>/investigation")
@staff_required
def investigation_page(reference: str):
    return _investigation_page(visible_incident(reference))


@bp.post("/incidents/<reference>/investigation")
@staff_required
@declare(form=InvestigationForm)
def save_investigation(reference: str, form: InvestigationForm):
    incident = visible_incident(reference)
    factors = list(form.factor) + _lines(form.other_factors)
    raw = {"whys": list(form.why), "immediate_causes": _lines(form.immediate_causes),
           "underlying_causes": _lines(form.underlying_causes), "root_cause": form.root_cause,
           "root_cause_category": form.root_cause_category or None, "contributing_factors": factors}
    try:
        changed = investigation.save(incident, raw, current_user, utcnow())
    except (ActionRefused, Invalid) as refused:
        db.session.rollback()
        message, status = _refusal(refused)
        return _investigation_page(incident, message, status, values=raw)
    db.session.commit()
    flash("Investigation saved." if changed else "Nothing had changed.")
    return redirect(url_for("learning.investigation_page", reference=reference), code=303)


@bp.post("/incidents/<reference>/investigation/statements")
@staff_required
@declare(form=StatementForm)
def add_statement(reference: str, form: StatementForm):
    """One witness statement; the tablet's outbox may send it later, with the time it was taken."""
    incident = visible_incident(reference)
    raw = {"name": form.name, "statement": form.statement, "taken_at": ""}
    taken = form.taken_at.strip()
    if taken:
        try:
            raw["taken_at"] = read_local_datetime(taken, ZoneInfo(incident.site.timezone)).isoformat()
        except ValueError:
            raw["taken_at"] = taken  # the validator names it
    try:
        investigation.add_statement(incident, raw, current_user, utcnow())
    except (ActionRefused, Invalid) as refused:
        db.session.rollback()
        message, status = _refusal(refused)
        if wants_json():  # the tablet's outbox
            return jsonify(error=message, fields={"statement": message}), status
        return _investigation_page(incident, message, status)
    db.session.commit()
    if wants_json():
        return jsonify(reference=incident.reference, name=raw["name"].strip()), 201
    flash(f"Statement from {raw['name'].strip()} added.")
    return redirect(url_for("learning.investigation_page", reference=reference) + "#statements", code=303)


# --- Review ----------------------------------------------------------------------------------------------

def _review_context(incident: Incident) -> dict:
    now = utcnow()
    review = reviews.review_of(incident)
    found = investigation.investigation_of(incident)
    actions = reviews.actions_of(incident)
    return dict(incident=incident, review=review, inv=found, actions=actions, now=now,
                required=reviews.required_reason(incident, now),
                due=review.due_at if review else reviews.due_for(incident),
                may_edit=investigation.may_work_on(current_user, incident),
                excerpt=(excerpt := reviews.excerpt(incident)),
                excerpt_text=(text := _timeline_text(excerpt, incident)),
                excerpt_digest=_digest(text),
                hints=reviews.hints(incident, review),
                weak=rules.relies_on_weak_controls(a.control for a in actions),
                blame_words=list(rules.BLAME_WORDS), controls=rules.CONTROLS, priorities=rules.PRIORITIES,
                people=_people(), states=rules.REVIEW_STATES, action_states=rules.ACTION_STATES,
                factors=rules.CONTRIBUTING_FACTORS, categories=rules.ROOT_CAUSE_CATEGORIES,
                lessons=lessons.incident_lessons(incident), sites=list(db.session.scalars(
                    db.select(Site).order_by(Site.name))),
                today=corrective.site_today(incident, now))


def _timeline_text(excerpt: list[dict], incident: Incident) -> str:
    """The excerpt as the box shows it: a line an entry (a note's own line breaks become spaces, and a
    very long entry is cut to what an entry may hold)."""
    zone = ZoneInfo(incident.site.timezone)

    def words(text: str) -> str:
        flat = " ".join(text.split())
        return flat if len(flat) <= rules.MAX_LINE else flat[:rules.MAX_LINE - 1] + "…"
    return "\n".join(f"{datetime.fromisoformat(e['at']).astimezone(zone):%Y-%m-%d %H:%M}  {words(e['text'])}"
                     for e in excerpt)


def _review_page(incident: Incident, error: str | None = None, failed: str = "", status: int = 200,
                 values: dict | None = None):
    return render_template("learning/review.html", error=error, failed=failed, values=values or {},
                           **_review_context(incident)), status


@bp.get("/incidents/<reference>/review")
@staff_required
def review_page(reference: str):
    return _review_page(visible_incident(reference))


@bp.get("/incidents/<reference>/review/print")
@staff_required
@not_from_other_sites
def review_print(reference: str):
    incident = visible_incident(reference)
    page = render_template("learning/review_print.html", **_review_context(incident))
    record_export(incident, "review_print", current_user)
    db.session.commit()
    return page


@bp.get("/incidents/<reference>/review.pdf")
@staff_required
@not_from_other_sites
@limiter.limit(PDF_LIMIT, key_func=per_user)
def review_pdf(reference: str):
    """The review on its own as a PDF (the printable copy, laid out by WeasyPrint)."""
    incident = visible_incident(reference)
    context = _review_context(incident)
    html = render_template("learning/review_print.html", pdf=True, **context)
    name = f"{incident.reference}-review-{context['now']:%Y%m%d}.pdf"
    return export_pdf(incident, "review_pdf", current_user, html, name)


def _timeline_from(text: str, incident: Incident) -> list[dict]:
    """The excerpt as edited: one entry a line, "YYYY-MM-DD HH:MM  what happened" in the site's time."""
    zone = ZoneInfo(incident.site.timezone)
    entries = []
    for number, line in enumerate(_lines(text), start=1):
        stamp, _, words = line.partition("  ")
        try:
            at = read_local_datetime(stamp.strip().replace(" ", "T", 1), zone)
        except ValueError:
            raise Invalid({"timeline": f"line {number} must start with the date and time (YYYY-MM-DD HH:MM), "
                                       "two spaces, then what happened"}) from None
        entries.append({"at": at.isoformat(), "text": words.strip()})
    return entries


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


def _save_review(incident: Incident, form: ReviewStepForm) -> None:
    raw = {**{k: getattr(form, k) for k in rules.REVIEW_TEXTS}, "lessons": _lines(form.lessons)}
    typed = form.timeline
    typed = typed.replace("\r\n", "\n") if typed is not None else None  # a textarea sends CRLF
    # The box starts as the timeline as it was shown (its digest comes back with the form): only an edit
    # of it is kept as the review's excerpt; untouched, it goes on following the incident, even if the
    # incident's timeline grew while the author was writing.
    if typed is not None and _digest(typed) != form.timeline_shown:
        raw["timeline"] = _timeline_from(typed, incident)
    reviews.save(incident, raw, current_user, utcnow())


REVIEW_STEPS = {
    "save": _save_review,
    "start": lambda i, form: reviews.start(i, current_user, utcnow()),
    "submit": lambda i, form: reviews.submit(i, current_user, utcnow()),
    "publish": lambda i, form: reviews.publish(i, current_user, utcnow()),
    "send_back": lambda i, form: reviews.send_back(i, form.reason, current_user, utcnow()),
}
REVIEW_DONE = {"save": "Review saved.", "start": "Review started.", "submit": "Submitted for approval.",
               "publish": "Review published: its lessons are in the Lessons library.",
               "send_back": "Sent back to the author."}


@bp.post("/incidents/<reference>/review/<step>")
@staff_required
@declare(form=ReviewStepForm)
def review_step(reference: str, step: str, form: ReviewStepForm):
    if step not in REVIEW_STEPS:
        abort(404)
    incident = visible_incident(reference)
    try:
        REVIEW_STEPS[step](incident, form)
    except (ActionRefused, Invalid) as refused:
        db.session.rollback()
        message, status = _refusal(refused)
        return _review_page(incident, message, step, status, values=_echo(form))
    db.session.commit()
    flash(REVIEW_DONE[step])
    return redirect(url_for("learning.review_page", reference=reference), code=303)


@bp.post("/incidents/<reference>/actions")
@staff_required
@declare(form=ActionForm)
def create_action(reference: str, form: ActionForm):
    incident = visible_incident(reference)
    raw = {k: getattr(form, k) for k in rules.ACTION_FIELDS}
    raw = {k: v for k, v in raw.items() if v not in ("", None) or k in ("title", "owner_id", "due_date", "control")}
    try:
        action = corrective.create(incident, raw, current_user, utcnow(), from_review=form.from_ == "review")
    except (ActionRefused, Invalid) as refused:
        db.session.rollback()
        message, status = _refusal(refused)
        return _review_page(incident, message, "action", status, values=_echo(form))
    db.session.commit()
    flash(f"Action “{action.title}” created for {action.owner.name}.")
    return redirect(url_for("learning.review_page", reference=reference) + "#actions", code=303)


# --- Corrective actions ------------------------------------------------------------------------------------

@bp.get("/actions")
@any_user_required
def actions():
    """My actions; for staff also those waiting for verification and every open one they may see."""
    now = utcnow()
    me = current_user
    mine = corrective.actions_for(me, me, ("open", "done"))
    finished = corrective.actions_for(me, me, "verified", limit=50, newest_first=True)
    staff = me.is_staff
    waiting = [a for a in corrective.actions_for(me, None, "done", not_owned_by=me)
               if corrective.may_verify(a, me)] if staff else []
    questioned = [a for a in corrective.actions_for(me, None, "verified", not_owned_by=me, questioned=True)
                  if corrective.may_verify(a, me)] if staff else []
    open_ones = corrective.actions_for(me, None, "open") if me.is_supervisor else []
    return render_template("learning/actions.html", mine=mine, finished=finished, to_verify=waiting + questioned,
                           open_ones=open_ones, now=now, states=rules.ACTION_STATES)


def _visible_action(action_id: int):
    action = corrective.visible_action(action_id, current_user)
    if action is None:
        abort(404)
    return action


def _action_page(action, error: str | None = None, failed: str = "", status: int = 200):
    incident = action.incident
    history = [e for e in incident.timeline if e.what == "action" and (e.details or {}).get("action") == action.id]
    people = _people()
    if action.owner not in people:  # no longer active: still shown as the owner, not silently replaced
        people.insert(0, action.owner)
    return render_template("learning/action.html", action=action, incident=incident, history=history, error=error,
                           failed=failed, now=utcnow(), states=rules.ACTION_STATES, controls=rules.CONTROLS,
                           priorities=rules.PRIORITIES, people=people,
                           may_verify=corrective.may_verify(action, current_user),
                           may_edit=investigation.may_work_on(current_user, incident),
                           may_see_incident=incident.can_view(current_user)), status


@bp.get("/actions/<int:action_id>")
@any_user_required
def action_page(action_id: int):
    return _action_page(_visible_action(action_id))


def _act(action_id: int, form_name: str, work, done: str):
    action = _visible_action(action_id)
    try:
        work(action)
    except (ActionRefused, Invalid) as refused:
        db.session.rollback()
        message, status = _refusal(refused)
        return _action_page(action, message, form_name, status)
    db.session.commit()
    flash(done)
    if is_htmx():
        return _action_page(action)
    return redirect(url_for("learning.action_page", action_id=action_id), code=303)


@bp.post("/actions/<int:action_id>/done")
@any_user_required
@csrf.exempt  # checked below, once the body may be as large as its photos
@limit_body(PHOTOS_FORM_LIMIT, check_csrf)
@declare(form=DoneForm)
def complete_action(action_id: int, form: DoneForm):
    """The owner: what was done, and photos from the camera (kept like the incident's own photos)."""
    def work(action):
        corrective.may_complete(action, current_user)  # before any photo is kept
        photos = photos_from_request(list(form.photos), request.files.getlist("photo_files"), current_user)
        corrective.complete(action, form.evidence, photos, current_user, utcnow())
    return _act(action_id, "done", work, "Marked done: someone else will now check that it works.")


@bp.post("/actions/<int:action_id>/verify")
@staff_required
@declare(form=VerifyForm)
def verify_action(action_id: int, form: VerifyForm):
    effective = {"yes": True, "no": False}.get(form.effective, "")  # not chosen: the service asks for it
    return _act(action_id, "verify", lambda a: corrective.verify(a, effective, form.note, current_user, utcnow()),
                "Verification recorded.")


@bp.post("/actions/<int:action_id>/edit")
@staff_required
@declare(form=ActionEditForm)
def edit_action(action_id: int, form: ActionEditForm):
    raw = form.model_dump(exclude_unset=True)  # only the fields sent are changed
    return _act(action_id, "edit", lambda a: corrective.edit(a, raw, current_user, utcnow()), "Action updated.")


@bp.get("/actions/<int:action_id>/photos/<sha256>/<size>")
@any_user_required
def action_photo(action_id: int, sha256: str, size: str):
    """A completion photo, to whoever may see the action (its owner may not see the incident)."""
    action = _visible_action(action_id)
    photo = next((p.evidence for p in action.photos if p.evidence.sha256 == sha256), None)
    if photo is None or size not in ("display", "thumbnail"):
        abort(404)
    with derived().open(photo.display_key if size == "display" else photo.thumbnail_key) as handle:
        body = handle.read()
    return Response(body, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


# --- Reviews, lessons, structural issues -----------------------------------------------------------------------

@bp.get("/reviews")
@staff_required
def published_reviews():
    q = request.args.get("q", "").strip()[:200]
    query = (db.select(Review).join(Incident, Incident.id == Review.incident_id)
             .where(lessons.readable_reviews(current_user)))
    for word in q.split()[:8]:
        like = f"%{word.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
        query = query.where(db.or_(*(getattr(Review, f).ilike(like, escape="\\") for f in rules.REVIEW_TEXTS),
                                   Incident.description.ilike(like, escape="\\")))
    query = query.options(joinedload(Review.incident).joinedload(Incident.site))
    found = list(db.session.scalars(query.order_by(Review.published_at.desc()).limit(100)).unique())
    return render_template("learning/reviews.html", reviews=found, q=q, now=utcnow())


@bp.get("/lessons")
@any_user_required
def lesson_library():
    args = request.args
    site = args.get("site") or None
    category = args.get("category") if args.get("category") in CATEGORIES else None
    q = args.get("q", "").strip()[:200]
    found = lessons.library(current_user, q, site, category)
    shares = lessons.shares_of(found)
    return render_template("learning/lessons.html", lessons=found, shares=shares, q=q, site=site, category=category,
                           sites=list(db.session.scalars(db.select(Site).order_by(Site.name))),
                           categories=CATEGORIES, now=utcnow())


@bp.post("/lessons/<int:lesson_id>/share")
@supervisor_required
@declare(form=ShareForm)
def share_lesson(lesson_id: int, form: ShareForm):
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not lesson.incident.can_view(current_user):
        abort(404)
    site = db.session.scalar(db.select(Site).filter_by(code=form.site))
    if site is None:
        flash("Choose the site whose staff should read it.")
        return redirect(url_for("learning.lesson_library"), code=303)
    try:
        sent = lessons.share(lesson, site, form.note, current_user, utcnow())
    except ActionRefused as refused:
        db.session.rollback()
        flash(str(refused))
        return redirect(url_for("learning.lesson_library"), code=303)
    db.session.commit()
    flash(f"Sent to the staff of {site.name}: they will see it the next time they open the app.")
    return redirect(url_for("learning.lesson_readers", share_id=sent.id), code=303)


@bp.get("/lessons/sent/<int:share_id>")
@supervisor_required
def lesson_readers(share_id: int):
    sent = db.session.get(LessonShare, share_id)
    if sent is None:
        abort(404)
    return render_template("learning/readers.html", sent=sent, readers=lessons.readers(sent), now=utcnow())


@bp.post("/lessons/read/<int:share_id>")
@any_user_required
@declare(form=Form)
def read_lesson(share_id: int, form: Form):
    try:
        lessons.mark_read(current_user, share_id, utcnow())
    except LookupError:
        abort(404)
    db.session.commit()
    if is_htmx():
        return "", 200
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("auth.index"), code=303)


@bp.get("/structural-issues")
@staff_required
def structural_issues():
    groups = repeats.structural_issues(Incident.visible_to(current_user))
    return render_template("learning/structural.html", groups=groups, categories=rules.ROOT_CAUSE_CATEGORIES,
                           now=utcnow())


"""The person's side of alerts: the in-app alert list, phones (enable, test, remove), the subscription
API, what a phone's service worker reports back, acknowledging from an email, and (in development)
the mailbox that stands in for a mail server."""
from __future__ import annotations

import email
import uuid
from email import policy

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..auth.security import any_user_required, public, staff_required
from ..common.errors import ActionRefused, Invalid
from ..common.http import json_api
from ..common.schemas import Form, Problem, declare
from ..database import commit_retrying, utcnow
from ..extensions import db
from . import inapp, tokens
from .compose import compose
from .models import KINDS, STATES, DevMail, Message, PushSubscription, endpoint_hash
from .outbox import queue
from .routes import Route, mail_enabled
from .schemas import (
    TAGS,
    AckIn,
    AckOut,
    AlertsSummary,
    ReceiptIn,
    ReceiptOut,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
)
from .service import AckRefused, acknowledge_with_token, page_for_token, record_receipt
from .subscriptions import device_label, validate_subscription
from .vapid import application_server_key

# The service worker's receipts and acknowledgements carry a signed token instead of a session; so does
# the email's acknowledgement page, whose form has its own CSRF token.
bp = json_api(Blueprint("notify", __name__), token_authorised=("notify.receipt", "notify.acknowledge"))


# ---- the in-app alert list ----

@bp.get("/alerts")
@staff_required
def alerts():
    now = utcnow()
    items = [(alert, waiting, compose(alert)) for alert, waiting in inapp.alerts_of(current_user)]
    inapp.mark_seen(current_user, now)
    db.session.commit()
    return render_template("alerts/list.html", items=items, now=now, kinds=KINDS)


@bp.get("/api/v1/alerts")
@staff_required
@declare(answers={200: AlertsSummary}, tags=TAGS)
def alerts_summary():
    """What the header's badge shows: how many alerts still want an answer, and the newest one."""
    items = inapp.alerts_of(current_user, size=1)  # polled by every open page: the newest only
    latest = None
    if items:
        alert, waiting = items[0]
        words = compose(alert)
        latest = {"id": alert.id, "kind": alert.kind, "title": (words.push or {}).get("title", words.subject),
                  "url": (words.push or {}).get("url"), "waiting": waiting, "at": alert.created_at.isoformat()}
    return jsonify(waiting=inapp.waiting_count(current_user), latest=latest)


def _own_alert(alert_id: int) -> Message:
    try:
        return inapp.own_alert(current_user, alert_id)
    except LookupError:
        abort(404)


@bp.post("/alerts/<int:alert_id>/acknowledge")
@staff_required
@declare(form=Form)
def acknowledge_alert(alert_id: int, form: Form):
    alert = _own_alert(alert_id)
    try:
        incident = commit_retrying(lambda: inapp.acknowledge(current_user, alert, utcnow()))
    except ActionRefused as refused:
        db.session.rollback()
        flash(str(refused))
        return redirect(url_for("notify.alerts"), code=303)
    flash(f"Acknowledged {incident.reference}.")
    return redirect(url_for("notify.alerts"), code=303)


@bp.post("/alerts/<int:alert_id>/dismiss")
@staff_required
@declare(form=Form)
def dismiss_alert(alert_id: int, form: Form):
    inapp.dismiss(_own_alert(alert_id), utcnow())
    db.session.commit()
    return redirect(url_for("notify.alerts"), code=303)


# ---- phones ----

def _devices() -> list[dict]:
    """The user's phones, each with how its latest alert went."""
    devices = []
    for sub in PushSubscription.of_user(current_user.id):
        last = db.session.scalar(db.select(Message).filter_by(subscription_id=sub.id)
                                 .order_by(Message.id.desc()).limit(1))
        devices.append({"sub": sub, "last": last})
    return devices


@bp.get("/account/alerts")
@staff_required
def phones():
    return render_template("account/alerts.html", devices=_devices(), public_key=application_server_key(),
                           mail=mail_enabled(), now=utcnow(), states=STATES)


@bp.post("/account/alerts/test")
@staff_required
@declare(form=Form)
def send_test(form: Form):
    """Queue a test alert to each of my working phones; the worker sends it like any page."""
    now = utcnow()
    routes = [Route("push", sub.id) for sub in PushSubscription.of_user(current_user.id) if sub.disabled_at is None]
    if not routes:
        flash("Enable alerts on this phone first: there is no working phone to test.")
    else:
        count = queue("test", uuid.uuid4().hex[:12], now, user=current_user, routes=routes)
        db.session.commit()
        flash(f"Test alert queued for {count} device(s): it should arrive within seconds.")
    return redirect(url_for("notify.phones"), code=303)


@bp.post("/account/alerts/<int:sub_id>/remove")
@staff_required
@declare(form=Form)
def remove_device(sub_id: int, form: Form):
    sub = db.session.get(PushSubscription, sub_id)
    if sub is None or sub.user_id != current_user.id:
        abort(404)
    db.session.delete(sub)
    db.session.commit()
    flash(f"Alerts turned off for {sub.label or 'that device'}.")
    return redirect(url_for("notify.phones"), code=303)


@bp.post("/api/v1/push-subscriptions")
@staff_required
@declare(body=SubscriptionIn, answers={201: SubscriptionOut, 200: SubscriptionOut, 409: Problem}, tags=TAGS)
def subscribe(body: SubscriptionIn):
    """Turn alerts on for this browser: store its push subscription for the current user.

    201 the first time, 200 when the same phone subscribes again (a turned-off subscription is turned on
    with its new keys). The same endpoint under another person is 409: a subscription is never taken over."""
    clean = validate_subscription(body.given(), current_app.config["ALLOW_LOOPBACK_TARGETS"])
    try:
        sub, created = _store(clean)
    except IntegrityError:  # the same phone posted twice at once: the other request stored it first
        db.session.rollback()
        sub, created = _store(clean)
    return jsonify(sub.to_json()), 201 if created else 200


def _store(clean: dict) -> tuple[PushSubscription, bool]:
    digest = endpoint_hash(clean["endpoint"])
    sub = db.session.scalar(db.select(PushSubscription).filter_by(endpoint_hash=digest))
    if sub is not None and sub.user_id != current_user.id:
        raise Invalid({"endpoint": "is already registered by another person: on a shared phone, turn alerts off "
                                   "and on again to get a subscription of your own"}, status=409)
    created = sub is None
    if created:
        sub = PushSubscription(endpoint_hash=digest, user_id=current_user.id, created_at=utcnow())
        db.session.add(sub)
    sub.endpoint, sub.p256dh, sub.auth = clean["endpoint"], clean["p256dh"], clean["auth"]
    sub.label = device_label(request.headers.get("User-Agent", ""))
    sub.last_error = sub.disabled_at = sub.disabled_reason = None
    db.session.commit()
    return sub, created


@bp.get("/api/v1/push-subscriptions")
@staff_required
@declare(answers={200: SubscriptionList}, tags=TAGS)
def list_subscriptions():
    """My phones (and browsers) that receive alerts."""
    return jsonify(subscriptions=[s.to_json() for s in PushSubscription.of_user(current_user.id)])


@bp.delete("/api/v1/push-subscriptions/<int:sub_id>")
@staff_required
@declare(answers={204: None}, tags=TAGS)
def unsubscribe(sub_id: int):
    """Turn alerts off for one of my phones."""
    sub = db.session.get(PushSubscription, sub_id)
    if sub is None or sub.user_id != current_user.id:
        return jsonify(error="no such subscription of yours"), 404
    db.session.delete(sub)
    db.session.commit()
    return "", 204


# ---- what phones report back ----

@bp.post("/api/v1/push/receipts")
@public
@declare(body=ReceiptIn, answers={200: ReceiptOut}, tags=TAGS)
def receipt(body: ReceiptIn):
    """The service worker got a page (`delivered`) or showed it (`shown`).

    Authorised by the page's receipt token, so it works whoever is logged in (or nobody)."""
    try:
        page = record_receipt(body.receipt, body.state, utcnow())
    except tokens.TokenRefused as refused:
        return jsonify(error=str(refused)), 400
    return jsonify(page=page.id, state=page.state)


@bp.post("/api/v1/push/ack")
@public
@declare(body=AckIn, answers={200: AckOut, 401: Problem, 403: Problem, 404: Problem, 409: Problem}, tags=TAGS)
def acknowledge(body: AckIn):
    """"Acknowledge" tapped on a page's notification.

    The page's single-use token acknowledges its incident as the person paged, without a session: 401 for a
    token that is not valid or too old, 403 when that person may no longer acknowledge, 404 when the page is
    gone, 409 when the token was used or the incident is no longer open."""
    try:
        incident = acknowledge_with_token(body.token, utcnow())
    except AckRefused as refused:
        return jsonify(error=str(refused)), refused.status
    return jsonify(reference=incident.reference, acknowledged_at=incident.acknowledged_at.isoformat())


@bp.route("/ack/<token>", methods=["GET", "POST"])
@public
@declare(form=Form)
def email_ack(token: str, form: Form):
    """The Acknowledge link in a page email. Opening it shows what it acknowledges and one button (a
    mail scanner that follows links must not acknowledge for the responder); the button acknowledges
    as the person paged, once, without logging in."""
    try:
        page = page_for_token(token)
    except AckRefused as refused:
        return render_template("alerts/ack.html", error=str(refused), page=None), refused.status
    words = compose(page)
    if request.method == "GET":
        return render_template("alerts/ack.html", page=page, words=words, error=None, done=None)
    try:
        incident = acknowledge_with_token(token, utcnow())
    except AckRefused as refused:
        return render_template("alerts/ack.html", page=page, words=words, error=str(refused), done=None), \
            refused.status
    return render_template("alerts/ack.html", page=page, words=words, error=None, done=incident)


# ---- the development mailbox ----

def _mailbox_on() -> None:
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)


def _mails_for_me():
    """The emails sent to the signed-in person; an admin sees everyone's (stakeholders' too)."""
    query = db.select(DevMail)
    return query if current_user.role == "admin" else query.where(DevMail.to == current_user.email)


@bp.get("/dev/mailbox")
@any_user_required
def mailbox():
    """The emails the app would have sent you (DEVELOPMENT only): newest first."""
    _mailbox_on()
    mails = db.session.scalars(_mails_for_me().order_by(DevMail.id.desc()).limit(100))
    return render_template("dev/mailbox.html", mails=list(mails), now=utcnow(), everyone=current_user.role == "admin")


def _mail(mail_id: int):
    _mailbox_on()
    mail = db.session.scalar(_mails_for_me().where(DevMail.id == mail_id))
    if mail is None:
        abort(404)
    return mail, email.message_from_string(mail.raw, policy=policy.default)


@bp.get("/dev/mailbox/<int:mail_id>")
@any_user_required
def mail(mail_id: int):
    row, parsed = _mail(mail_id)
    text = parsed.get_body(preferencelist=("plain",))
    return render_template("dev/mail.html", mail=row, parsed=parsed, text=text.get_content() if text else "",
                           has_html=parsed.get_body(preferencelist=("html",)) is not None)


@bp.get("/dev/mailbox/<int:mail_id>/html")
@any_user_required
def mail_html(mail_id: int):
    """The HTML part as a mail client shows it: its own styles, no scripts, nothing from elsewhere."""
    _row, parsed = _mail(mail_id)
    part = parsed.get_body(preferencelist=("html",))
    if part is None:
        abort(404)
    response = current_app.response_class(part.get_content(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                   "form-action 'none'; frame-ancestors 'none'")
    return response


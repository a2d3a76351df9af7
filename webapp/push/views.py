"""Alerts on this phone: the page to enable them, the subscriptions API, and what the service worker
reports back (receipts, acknowledgement from the notification, both authorised by signed tokens)."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..api.common import json_api, json_body
from ..database import utcnow
from ..escalation.engine import queue_page
from ..escalation.models import Notification
from ..extensions import db
from ..security import public, staff_required
from . import tokens
from .keys import application_server_key
from .models import PushSubscription, endpoint_hash
from .rules import device_label, validate_subscription
from .service import AckRefused, acknowledge_with_token, record_receipt

# The service worker's receipts and acknowledgements carry a signed token instead of a session.
bp = json_api(Blueprint("push", __name__), token_authorised=("push.acknowledge", "push.receipt"))


def _devices() -> list[dict]:
    """The user's phones, each with how its latest alert went."""
    devices = []
    for sub in PushSubscription.of_user(current_user.id):
        last = db.session.scalar(db.select(Notification).filter_by(subscription_id=sub.id)
                                 .order_by(Notification.id.desc()).limit(1))
        devices.append({"sub": sub, "last": last})
    return devices


@bp.get("/account/alerts")
@staff_required
def alerts():
    return render_template("account/alerts.html", devices=_devices(), public_key=application_server_key(),
                           mail=bool(current_app.config.get("MAIL_SERVER")), now=utcnow())


@bp.post("/account/alerts/test")
@staff_required
def send_test():
    """Queue a test alert to each of my phones; the worker sends it like any page."""
    now = utcnow()
    if not PushSubscription.of_user(current_user.id):
        flash("Enable alerts on this phone first: there is no phone to test.")
    else:
        count = queue_page(None, current_user, f"test:{uuid.uuid4().hex[:12]}:u{current_user.id}", None, now)
        db.session.commit()
        flash(f"Test alert queued for {count} device(s): it should arrive within seconds.")
    return redirect(url_for("push.alerts"), code=303)


@bp.post("/account/alerts/<int:sub_id>/remove")
@staff_required
def remove_device(sub_id: int):
    sub = db.session.get(PushSubscription, sub_id)
    if sub is None or sub.user_id != current_user.id:
        abort(404)
    db.session.delete(sub)
    db.session.commit()
    flash(f"Alerts turned off for {sub.label or 'that device'}.")
    return redirect(url_for("push.alerts"), code=303)


@bp.post("/api/v1/push-subscriptions")
@staff_required
def subscribe():
    """Store the browser's PushSubscription JSON for the current user. The same endpoint again updates
    it (201 the first time, 200 after), and moves it to whoever is logged in on that phone now."""
    clean = validate_subscription(json_body(), current_app.config["PUSH_ALLOW_LOOPBACK_HTTP"])
    digest = endpoint_hash(clean["endpoint"])
    sub = db.session.scalar(db.select(PushSubscription).filter_by(endpoint_hash=digest))
    created = sub is None
    if created:
        sub = PushSubscription(endpoint_hash=digest, created_at=utcnow())
        db.session.add(sub)
    sub.user_id, sub.endpoint, sub.p256dh, sub.auth = current_user.id, clean["endpoint"], clean["p256dh"], clean["auth"]
    sub.label = device_label(request.headers.get("User-Agent", ""))
    sub.last_error = None
    db.session.commit()
    return jsonify(sub.to_json()), 201 if created else 200


@bp.get("/api/v1/push-subscriptions")
@staff_required
def list_subscriptions():
    return jsonify(subscriptions=[s.to_json() for s in PushSubscription.of_user(current_user.id)])


@bp.delete("/api/v1/push-subscriptions/<int:sub_id>")
@staff_required
def unsubscribe(sub_id: int):
    sub = db.session.get(PushSubscription, sub_id)
    if sub is None or sub.user_id != current_user.id:
        return jsonify(error="no such subscription of yours"), 404
    db.session.delete(sub)
    db.session.commit()
    return "", 204


@bp.post("/api/v1/push/receipts")
@public
def receipt():
    """The service worker got a page (`delivered`) or showed it (`shown`). Authorised by the page's
    receipt token, so it works whoever is logged in (or nobody)."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return jsonify(error="send JSON: {receipt, state}"), 400
    try:
        page = record_receipt(body.get("receipt"), body.get("state"), utcnow())
    except tokens.TokenRefused as refused:
        return jsonify(error=str(refused)), 400
    return jsonify(page=page.id, state=page.state)


@bp.post("/api/v1/push/ack")
@public
def acknowledge():
    """"Acknowledge" on the notification: the page's single-use token acknowledges as its recipient."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return jsonify(error="send JSON: {token}"), 400
    try:
        incident = acknowledge_with_token(body.get("token"), utcnow())
    except AckRefused as refused:
        return jsonify(error=str(refused)), refused.status
    return jsonify(reference=incident.reference, acknowledged_at=incident.acknowledged_at.isoformat())

"""Admins set the organisation's response and resolution targets per severity."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..auth.security import admin_required
from ..common.schemas import declare
from ..extensions import db
from ..organisation.models import Organisation
from ..rules.classification import SEVERITIES
from .rules import CLOCKS, DEFAULT_TARGETS, check_target, describe, targets_for
from .schemas import TargetsForm

bp = Blueprint("sla", __name__)


@bp.route("/admin/sla", methods=["GET", "POST"])
@admin_required
@declare(form=TargetsForm)
def targets(form: TargetsForm):
    org = Organisation.current()
    sent = form.model_dump(by_alias=True)
    values = {s: targets_for(s, org.sla_targets) for s in SEVERITIES}
    errors = {}
    if request.method == "POST":
        changed = {}
        for severity in SEVERITIES:
            for clock in CLOCKS:
                key = f"{severity}-{clock}"
                text = sent[key].strip()
                values[severity][clock] = text
                try:
                    clean = check_target(text)
                except ValueError as problem:
                    errors[key] = str(problem)
                    continue
                if clean != DEFAULT_TARGETS[severity][clock]:
                    changed.setdefault(severity, {})[clock] = clean
        if not errors:
            org.sla_targets = changed or None
            db.session.commit()
            flash("Targets saved. Open incidents' clocks follow them from now on.")
            return redirect(url_for("sla.targets"), code=303)
    return render_template("admin/sla.html", values=values, errors=errors, severities=SEVERITIES, clocks=CLOCKS,
                           defaults=DEFAULT_TARGETS, describe=describe), 422 if errors else 200

"""The formal incident report and the regulator packs, for staff who may see the incident."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth.security import not_from_other_sites, per_user, staff_required
from ..common.pdf import PDF_LIMIT
from ..database import utcnow
from ..extensions import db, limiter
from ..incidents.actions import export_pdf, record_export
from ..incidents.views import visible_incident
from ..obligations.regimes import DISCLAIMER
from .packs import packs_of
from .report import report_context

bp = Blueprint("exports", __name__, url_prefix="/incidents")


@bp.get("/<reference>/report")
@staff_required
@not_from_other_sites
def report(reference: str):
    """The formal report as a page to read or print (the browser's print gives A4 with page numbers)."""
    incident = visible_incident(reference)
    page = render_template("exports/report.html", **report_context(incident, current_user, utcnow(), pdf=False))
    record_export(incident, "report", current_user)
    db.session.commit()
    return page


@bp.get("/<reference>/report.pdf")
@staff_required
@not_from_other_sites
@limiter.limit(PDF_LIMIT, key_func=per_user)
def report_pdf(reference: str):
    incident = visible_incident(reference)
    now = utcnow()
    html = render_template("exports/report.html", **report_context(incident, current_user, now, pdf=True))
    return export_pdf(incident, "report_pdf", current_user, html, f"{incident.reference}-report-{now:%Y%m%d}.pdf")


@bp.get("/<reference>/packs")
@staff_required
@not_from_other_sites
def packs(reference: str):
    """The regulator packs: what each triggered regulator's form asks, filled in, with the gaps named."""
    incident = visible_incident(reference)
    page = render_template("exports/packs.html", incident=incident, packs=packs_of(incident, current_user),
                           now=utcnow(), disclaimer=DISCLAIMER)
    record_export(incident, "packs", current_user)
    db.session.commit()
    return page

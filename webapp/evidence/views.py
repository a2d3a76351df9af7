"""Photo upload (the outbox sends each one on its own), attaching photos, and showing them."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, request, send_file, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..auth.security import any_user_required, not_from_other_sites
from ..common.errors import Invalid
from ..common.http import check_csrf, check_csrf_unless_token, is_htmx, wants_json
from ..common.schemas import Form, Problem, declare, limit_body
from ..database import utcnow
from ..extensions import csrf, db
from ..incidents.models import Incident
from ..incidents.views import render_detail, visible_incident
from .images import MAX_BYTES, PhotoRejected
from .models import Evidence, IncidentPhoto
from .schemas import TAGS, UPLOAD, AttachPhotosForm, EvidenceOut, UploadForm
from .service import MAX_PHOTOS_PER_REQUEST, attach, derived, originals, photos_from_request, receive_photo

bp = Blueprint("evidence", __name__)
UPLOAD_LIMIT = MAX_BYTES + 256 * 1024


def _error(message: str, status: int, field: str = "photo"):
    return jsonify(error=message, fields={field: message}), status


def _upload_csrf() -> None:
    check_csrf_unless_token()


@bp.post("/api/v1/photos")
@any_user_required
@csrf.exempt
@limit_body(UPLOAD_LIMIT, _upload_csrf)
@declare(form=UploadForm, upload=UPLOAD, answers={201: EvidenceOut, 200: EvidenceOut, 413: Problem}, tags=TAGS)
def upload(form: UploadForm):
    """One original photo with the SHA-256 the device computed; 201 when new, 200 when already kept."""
    file = request.files.get("photo")
    if file is None:
        return _error("send the photo as multipart form data in the field 'photo'", 400)
    data = file.read()
    try:
        evidence, created = receive_photo(data, form.sha256, file.filename or "photo", current_user)
    except PhotoRejected as rejected:
        db.session.rollback()
        status = 413 if len(data) > MAX_BYTES else 400
        return _error(f"{file.filename or 'The photo'} {rejected}", status)
    db.session.commit()
    return jsonify(evidence.to_json()), 201 if created else 200


def _photos_csrf():
    try:
        check_csrf()
    except CSRFError:
        if wants_json():
            return _error("your session's security token is missing or old: reload and try again", 400, "")
        raise
    return None


@bp.post("/incidents/<reference>/photos")
@any_user_required
@csrf.exempt
@limit_body(MAX_PHOTOS_PER_REQUEST * UPLOAD_LIMIT, _photos_csrf)
@declare(form=AttachPhotosForm)
def add_photos(reference: str, form: AttachPhotosForm):
    """Attach photos to an incident: uploaded ones by SHA-256 (outbox) or files (a plain form)."""
    incident = visible_incident(reference)
    try:
        evidence = photos_from_request(form.photos, request.files.getlist("photo_files"), current_user)
        if not evidence:
            raise Invalid({"photo_files": "choose at least one photo"})
    except Invalid as invalid:
        db.session.rollback()
        if wants_json():
            return jsonify(error=next(iter(invalid.fields.values())), fields=invalid.fields), invalid.status
        return render_detail(incident, next(iter(invalid.fields.values())), "photos", invalid.status)
    added = attach(incident, evidence, current_user, utcnow())
    db.session.commit()
    if wants_json():
        return jsonify(reference=incident.reference, added=added,
                       photos=[p.evidence.sha256 for p in incident.photos])
    if is_htmx():
        return render_detail(incident)
    return redirect(url_for("incidents.detail", reference=reference), code=303)


def _photo(reference: str, sha256: str) -> tuple[Incident, Evidence]:
    """The photo, only through an incident this user may see that holds it."""
    incident = visible_incident(reference)
    link = db.session.scalar(db.select(IncidentPhoto).join(Evidence).where(
        IncidentPhoto.incident_id == incident.id, Evidence.sha256 == sha256))
    if link is None:
        abort(404)
    return incident, link.evidence


@bp.get("/incidents/<reference>/photos/<sha256>/<size>")
@any_user_required
def show(reference: str, sha256: str, size: str):
    """Display copy or thumbnail: orientation applied, no metadata (so no GPS)."""
    if size not in ("display", "thumbnail"):
        abort(404)
    incident, evidence = _photo(reference, sha256)
    key = evidence.display_key if size == "display" else evidence.thumbnail_key
    with derived().open(key) as handle:  # display copies are small: read, close, send
        body = handle.read()
    # A confidential incident's photo is never kept by the browser: a shared phone forgets it at logout.
    cache = "private, no-store" if incident.confidential else "private, max-age=3600"
    return Response(body, mimetype="image/jpeg", headers={"Cache-Control": cache})


@bp.get("/incidents/<reference>/photos/<sha256>/original")
@any_user_required
@not_from_other_sites
def original(reference: str, sha256: str):
    """The original, byte for byte, as a download; every download goes on the timeline."""
    incident, evidence = _photo(reference, sha256)
    incident.record("evidence_download", f"Original photo {evidence.original_name} downloaded by "
                    f"{current_user.name}", current_user, sha256=evidence.sha256)
    db.session.commit()
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}.get(
        evidence.content_type, "bin")
    return send_file(originals().open(evidence.sha256), mimetype=evidence.content_type, as_attachment=True,
                     download_name=f"{incident.reference}-{evidence.sha256[:12]}.{extension}")


@bp.post("/incidents/<reference>/location-from-photo")
@any_user_required
@declare(form=Form)
def use_photo_location(reference: str, form: Form):
    """Take the incident's location from a photo's GPS when the device gave none."""
    incident = visible_incident(reference)
    if not (current_user.is_staff or incident.reporter_id == current_user.id):
        abort(403)
    place = incident.photo_location()
    if incident.location is None and place is not None:
        incident.latitude, incident.longitude = place["lat"], place["lon"]
        incident.record("location", f"Location taken from a photo's GPS: {place['lat']}, {place['lon']}",
                        current_user, **place)
        db.session.commit()
    if is_htmx():
        return render_detail(incident)
    return redirect(url_for("incidents.detail", reference=reference), code=303)

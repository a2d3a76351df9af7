"""Receiving photos: check the hash and the image, keep the original, make display copies, attach."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app

from ..auth.models import User
from ..common.errors import Invalid
from ..extensions import db
from .images import MAX_BYTES, PhotoRejected, check_photo
from .models import Evidence, EvidenceHolder, IncidentPhoto
from .storage import LocalStore, hash_stream, sha256_of

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_PHOTOS_PER_REQUEST = 10
# A plain form's body with that many photos and its text (a report, an action done): what it may send.
PHOTOS_FORM_LIMIT = MAX_PHOTOS_PER_REQUEST * (MAX_BYTES + 64 * 1024) + 1024 * 1024


def originals() -> LocalStore:
    return current_app.extensions["evidence_originals"]


def derived() -> LocalStore:
    return current_app.extensions["evidence_derived"]


def receive_photo(data: bytes, claimed_sha256: str | None, name: str, user: User) -> tuple[Evidence, bool]:
    """Keep an uploaded original once its hash and contents check out; return (evidence, created).

    The device hashes the photo when it is taken; a different hash here means the bytes changed on
    the way (or were cut short), and nothing is kept.
    """
    claimed = (claimed_sha256 or "").strip().lower()
    if not SHA256.match(claimed):
        raise PhotoRejected("has no SHA-256 from the device (64 hexadecimal characters)")
    actual = sha256_of(data)
    if actual != claimed:
        raise PhotoRejected(f"does not match the SHA-256 the device computed ({claimed[:12]}… sent, "
                            f"{actual[:12]}… received): it changed on the way, so it was not kept")
    evidence = db.session.scalar(db.select(Evidence).filter_by(sha256=actual))
    created = evidence is None
    if created:
        checked = check_photo(data)
        originals().put(actual, data)
        display_key, thumb_key = sha256_of(checked.display), sha256_of(checked.thumbnail)
        derived().put(display_key, checked.display)
        derived().put(thumb_key, checked.thumbnail)
        evidence = Evidence(sha256=actual, size=len(data), content_type=checked.content_type,
                            original_name=(name or "photo")[:255], width=checked.width, height=checked.height,
                            gps_lat=checked.gps[0] if checked.gps else None,
                            gps_lon=checked.gps[1] if checked.gps else None,
                            display_key=display_key, thumbnail_key=thumb_key, uploaded_by=user)
        db.session.add(evidence)
        db.session.flush()
    if db.session.get(EvidenceHolder, (evidence.id, user.id)) is None:
        db.session.add(EvidenceHolder(evidence_id=evidence.id, user_id=user.id))
    return evidence, created


def held_evidence(hashes: list[str], user: User) -> list[Evidence]:
    """The evidence rows for these hashes, all uploaded by `user`; Invalid names the problem otherwise."""
    hashes = list(dict.fromkeys(h.strip().lower() for h in hashes if h.strip()))
    if len(hashes) > MAX_PHOTOS_PER_REQUEST:
        raise Invalid({"photos": f"at most {MAX_PHOTOS_PER_REQUEST} photos at a time"})
    if any(not SHA256.match(h) for h in hashes):
        raise Invalid({"photos": "each photo is named by its SHA-256 (64 hexadecimal characters)"})
    found = {e.sha256: e for e in db.session.scalars(
        db.select(Evidence).join(EvidenceHolder, EvidenceHolder.evidence_id == Evidence.id)
        .where(Evidence.sha256.in_(hashes), EvidenceHolder.user_id == user.id))} if hashes else {}
    missing = [h for h in hashes if h not in found]
    if missing:
        raise Invalid({"photos": f"photo {missing[0][:12]}… has not been uploaded by you yet"}, status=422)
    return [found[h] for h in hashes]


def photos_from_request(hashes: list[str], files: list, user: User) -> list[Evidence]:
    """Every photo a request names: the outbox's uploads by SHA-256, and files a plain form posted
    (checked and kept like uploads). Invalid names the first problem; nothing is attached here."""
    files = [f for f in files if f and f.filename]
    evidence = held_evidence(hashes, user)
    if len(evidence) + len(files) > MAX_PHOTOS_PER_REQUEST:
        raise Invalid({"photo_files": f"at most {MAX_PHOTOS_PER_REQUEST} photos at a time"})
    for upload in files:
        data = upload.read()
        try:
            evidence.append(receive_photo(data, sha256_of(data), upload.filename, user)[0])
        except PhotoRejected as rejected:
            raise Invalid({"photo_files": f"{upload.filename} {rejected}"}) from None
    return evidence


def attach(incident, evidence: list[Evidence], user: User, now: datetime) -> int:
    """Link photos to an incident (again is harmless); return how many were new."""
    already = {p.evidence_id for p in incident.photos}
    added = 0
    for item in evidence:
        if item.id in already:
            continue
        incident.photos.append(IncidentPhoto(evidence=item, added_by=user, added_at=now))
        already.add(item.id)
        added += 1
    if added:
        incident.record("photos", f"{added} photo{'s' if added > 1 else ''} added by {user.name}", user,
                        sha256=[e.sha256 for e in evidence])
    return added


def verify_all() -> list[str]:
    """Recompute every stored original's hash; return a line per problem (empty when all is well)."""
    problems = []
    store = originals()
    for evidence in db.session.scalars(db.select(Evidence).order_by(Evidence.id)):
        if not store.exists(evidence.sha256):
            problems.append(f"MISSING  {evidence.sha256}  ({evidence.original_name})")
            continue
        with store.open(evidence.sha256) as handle:
            actual = hash_stream(handle)
        if actual != evidence.sha256:
            problems.append(f"MISMATCH {evidence.sha256}  now hashes to {actual}  ({evidence.original_name})")
    return problems


def init_app(app: Flask) -> None:
    instance = Path(app.instance_path)
    app.extensions["evidence_originals"] = LocalStore(app.config.get("EVIDENCE_DIR") or instance / "evidence")
    app.extensions["evidence_derived"] = LocalStore(app.config.get("DERIVED_DIR") or instance / "derived")

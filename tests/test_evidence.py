"""Photos as evidence: checked, kept byte for byte by SHA-256, shown only to those who may see them."""
import hashlib
import io
import os

import pytest
from helpers import form_report, png_bytes
from PIL import Image

from webapp.evidence.images import PhotoRejected, check_photo
from webapp.evidence.models import Evidence, IncidentPhoto
from webapp.evidence.schemas import EvidenceOut
from webapp.evidence.service import derived, originals
from webapp.extensions import db
from webapp.incidents.models import Incident


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(client, data: bytes, name="photo.jpg", digest=None, **headers):
    response = client.post("/api/v1/photos", data={"photo": (io.BytesIO(data), name), "sha256": digest or sha(data)},
                           headers={"Accept": "application/json", **headers})
    # Werkzeug's test client spools a large multipart body to a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def jpeg_with_gps_and_rotation() -> bytes:
    """A 60x40 JPEG whose EXIF says: rotate 90° and taken at 33.8688 S, 151.2093 E."""
    image = Image.new("RGB", (60, 40), (0, 120, 200))
    exif = image.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 CW to display
    gps = {1: "S", 2: (33.0, 52.0, 7.68), 3: "E", 4: (151.0, 12.0, 33.48)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def report_with_photo(client, data: bytes) -> str:
    """Upload a photo and file a report naming it, as the outbox does; return the reference."""
    upload(client, data)
    return client.post("/report", data={**form_report(), "photos": [sha(data)]},
                       headers={"Accept": "application/json"}).get_json()["reference"]


def stored_bytes(sha256: str) -> bytes:
    with originals().open(sha256) as handle:
        return handle.read()


def counts():
    return (db.session.scalar(db.select(db.func.count(Evidence.id))),
            db.session.scalar(db.select(db.func.count(Incident.id))))


def test_upload_keeps_the_original_byte_for_byte(as_user):
    data = jpeg_with_gps_and_rotation()
    response = upload(as_user("reporter"), data)
    assert response.status_code == 201
    body = response.get_json()
    assert body["sha256"] == sha(data) and body["gps"] == {"lat": pytest.approx(-33.8688, abs=1e-4),
                                                           "lon": pytest.approx(151.2093, abs=1e-4)}
    assert stored_bytes(sha(data)) == data
    assert upload(as_user("reporter"), data).status_code == 200  # the same photo again: kept once
    assert counts() == (1, 0)


@pytest.mark.parametrize("data, name, digest, status, message", [
    (b"this is a text file, not a photo", "notes.jpg", None, 400, "is not an image"),
    (png_bytes()[:60], "cut.png", None, 400, "damaged"),
    (png_bytes(), "photo.png", "0" * 64, 400, "does not match the SHA-256"),
    (png_bytes(), "photo.png", "abc", 400, "sha256"),  # refused by the declared form (schemas.UploadForm)
    (png_bytes(format="BMP"), "photo.bmp", None, 400, "send JPEG, PNG, WebP or GIF"),
])
def test_bad_uploads_are_refused_with_a_reason_and_nothing_is_kept(as_user, data, name, digest, status, message):
    response = upload(as_user("reporter"), data, name, digest)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert counts() == (0, 0)
    assert originals().keys() == []


def test_oversized_upload_is_413(as_user):
    data = os.urandom(20 * 1024 * 1024 + 1)
    response = upload(as_user("reporter"), data, "huge.jpg")
    assert response.status_code == 413 and "at most 20 MB" in response.get_json()["error"]
    assert counts() == (0, 0)


def test_decompression_bomb_is_refused(as_user):
    bomb = png_bytes(10000, 10000, colour=(0, 0, 0), optimize=True)  # small file, 100 million pixels
    assert len(bomb) < 1024 * 1024
    response = upload(as_user("reporter"), bomb, "bomb.png")
    assert response.status_code == 400 and "pixels" in response.get_json()["error"]
    assert counts() == (0, 0)


def rgba_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (9, 9, 9, 255)).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_an_image_too_big_to_open_is_refused_before_a_pixel_is_decoded(as_user, monkeypatch):
    """A 0.6 MB PNG of 7,700 × 7,700 RGBA pixels (under the pixel cap) took 1 GB and 5.6 s to open (issue 13):
    it is refused from its header alone, with what it would take."""
    attack = rgba_png(7700, 7700)
    assert len(attack) < 1024 * 1024

    def no_decoding(image, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "reduce", no_decoding)
    response = upload(as_user("reporter"), attack, "screen.png")
    assert response.status_code == 400
    assert "would take 452 MB to process" in response.get_json()["error"]
    assert counts() == (0, 0)


def test_a_large_screenshot_within_the_budget_is_kept_with_its_copies(as_user):
    screen = rgba_png(4000, 3000)  # 4000 × 3000 RGBA: 92 MB to process
    response = upload(as_user("reporter"), screen, "screen.png")
    assert response.status_code == 201
    evidence = db.session.scalar(db.select(Evidence).filter_by(sha256=sha(screen)))
    with derived().open(evidence.display_key) as handle:
        display = Image.open(io.BytesIO(handle.read()))
    assert display.size == (1280, 960) and display.mode == "RGB"


def test_report_with_photos_is_stored_in_one_step_and_retries_are_harmless(as_user):
    client = as_user("reporter")
    first, second = png_bytes(colour=(1, 2, 3)), jpeg_with_gps_and_rotation()
    for data in (first, second):
        upload(client, data)
    body = {**form_report(), "photos": [sha(first), sha(second)]}
    created = client.post("/report", data=body, headers={"Accept": "application/json"})
    assert created.status_code == 201
    again = client.post("/report", data=body, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.get_json()["reference"] == created.get_json()["reference"]
    [incident] = db.session.scalars(db.select(Incident)).all()
    assert [p.evidence.sha256 for p in incident.photos] == [sha(first), sha(second)]
    assert [e.what for e in incident.timeline] == ["reported", "photos"]


def test_report_naming_a_photo_it_never_uploaded_stores_nothing(as_user):
    other = png_bytes(colour=(9, 9, 9))
    upload(as_user("reporter2"), other)  # someone else's photo: knowing its hash is not enough
    response = as_user("reporter").post("/report", data={**form_report(), "photos": [sha(other)]},
                                        headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "has not been uploaded by you" in response.get_json()["fields"]["photos"]
    assert counts() == (1, 0)


def test_report_form_without_javascript_posts_the_photo_files(as_user):
    data = png_bytes(colour=(50, 60, 70))
    response = as_user("reporter").post("/report", data={**form_report(), "photo_files": (io.BytesIO(data), "a.png")})
    assert response.status_code == 303
    incident = db.session.scalar(db.select(Incident))
    assert incident.photos[0].evidence.sha256 == sha(data)
    bad = as_user("reporter").post("/report", data={**form_report(), "photo_files": (io.BytesIO(b"nope"), "b.jpg")})
    assert bad.status_code == 422 and "b.jpg is not an image" in bad.get_data(as_text=True)
    assert counts() == (1, 1)


def test_display_copies_are_upright_and_carry_no_metadata(as_user):
    data = jpeg_with_gps_and_rotation()
    client = as_user("reporter")
    reference = report_with_photo(client, data)
    for size in ("display", "thumbnail"):
        response = client.get(f"/incidents/{reference}/photos/{sha(data)}/{size}")
        image = Image.open(io.BytesIO(response.get_data()))
        assert image.size == (40, 60)  # the EXIF rotation applied
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info


def test_photos_only_for_people_who_may_see_the_incident_and_downloads_are_logged(as_user):
    data = png_bytes(colour=(5, 5, 5))
    client = as_user("reporter")
    reference = report_with_photo(client, data)
    base = f"/incidents/{reference}/photos/{sha(data)}"
    assert as_user("reporter2").get(f"{base}/display").status_code == 404
    assert as_user("reporter2").get(f"{base}/original").status_code == 404
    assert as_user("responder").get(f"{base}/thumbnail").status_code == 200
    with as_user("supervisor").get(f"{base}/original") as original:
        assert original.get_data() == data
        assert original.headers["Content-Disposition"].startswith("attachment")
    incident = db.session.scalar(db.select(Incident))
    assert incident.timeline[-1].what == "evidence_download"
    assert "downloaded by Supervisor" in incident.timeline[-1].summary
    assert as_user("responder").get(f"/incidents/{reference}/photos/{'0' * 64}/display").status_code == 404


def test_photos_added_later_to_an_existing_incident(as_user):
    client = as_user("reporter")
    reference = client.post("/report", data=form_report(),
                            headers={"Accept": "application/json"}).get_json()["reference"]
    data = png_bytes(colour=(7, 8, 9))
    upload(client, data)
    added = client.post(f"/incidents/{reference}/photos", data={"photos": [sha(data)]},
                        headers={"Accept": "application/json"})
    assert added.get_json()["added"] == 1
    assert client.post(f"/incidents/{reference}/photos", data={"photos": [sha(data)]},
                       headers={"Accept": "application/json"}).get_json()["added"] == 0
    assert db.session.scalar(db.select(db.func.count(IncidentPhoto.id))) == 1
    assert as_user("reporter2").post(f"/incidents/{reference}/photos", data={"photos": [sha(data)]}).status_code == 404


def test_photo_gps_is_offered_when_the_device_sent_no_location(as_user):
    data = jpeg_with_gps_and_rotation()
    client = as_user("reporter")
    reference = report_with_photo(client, data)
    page = client.get(f"/incidents/{reference}").get_data(as_text=True)
    assert "Use the photo's location" in page
    client.post(f"/incidents/{reference}/location-from-photo")
    incident = db.session.scalar(db.select(Incident))
    assert incident.location == {"lat": pytest.approx(-33.8688, abs=1e-4), "lon": pytest.approx(151.2093, abs=1e-4)}
    assert incident.timeline[-1].what == "location"


def test_verify_evidence_finds_a_changed_original(as_user, runner, app):
    data = png_bytes(colour=(11, 22, 33))
    upload(as_user("reporter"), data)
    ok = runner.invoke(args=["verify-evidence"])
    assert ok.exit_code == 0 and "1 originals checked, 0 problems" in ok.output
    path = originals()._path(sha(data))
    os.chmod(path, 0o640)
    path.write_bytes(data + b"tampered")
    bad = runner.invoke(args=["verify-evidence"])
    assert bad.exit_code == 1 and f"MISMATCH {sha(data)}" in bad.output
    path.unlink()
    missing = runner.invoke(args=["verify-evidence"])
    assert missing.exit_code == 1 and "MISSING" in missing.output


def test_originals_are_written_once_and_read_only(as_user):
    data = png_bytes(colour=(1, 1, 1))
    upload(as_user("reporter"), data)
    path = originals()._path(sha(data))
    assert path.stat().st_mode & 0o222 == 0
    originals().put(sha(data), b"other bytes under the same key")
    assert path.read_bytes() == data


def test_a_confidential_incidents_photos_are_never_kept_by_the_browser(as_user):
    data = png_bytes(colour=(9, 9, 9))
    client = as_user("reporter")
    reference = report_with_photo(client, data)
    base = f"/incidents/{reference}/photos/{sha(data)}"
    assert client.get(f"{base}/display").headers["Cache-Control"] == "private, max-age=3600"
    db.session.scalar(db.select(Incident)).confidential = True
    db.session.commit()
    for size in ("display", "thumbnail"):
        assert as_user("supervisor").get(f"{base}/{size}").headers["Cache-Control"] == "private, no-store"


def encoded(mode: str, size: tuple[int, int], kind: str = "PNG", colour=None) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour if colour is not None else {"P": 3, "I;16": 30000, "1": 1}.get(mode, 0)).save(
        out, kind)
    return out.getvalue()


def test_a_format_we_do_not_take_is_refused_before_a_pixel_is_decoded(monkeypatch):
    tiff = encoded("RGB", (1500, 1500), "TIFF")

    def no_decoding(image, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(PhotoRejected, match="send JPEG, PNG, WebP or GIF"):
        check_photo(tiff)


def test_a_jpeg_too_wide_to_decode_reduced_is_held_to_the_budget_too():
    """draft() shrinks a JPEG by its shorter side: 46,875 × 1,280 would still decode whole (228 MB)."""
    with pytest.raises(PhotoRejected, match="would take 228 MB to process"):
        check_photo(encoded("RGB", (46875, 1280), "JPEG"))


@pytest.mark.parametrize("mode", ["P", "1", "I;16", "L"])
def test_palette_bilevel_and_16_bit_images_are_shrunk_not_called_damaged(mode):
    """Pillow's averaging-down takes none of these: they are converted first (they were refused as damaged)."""
    checked = check_photo(encoded(mode, (6000, 1500)))
    display = Image.open(io.BytesIO(checked.display))
    assert display.size == (1280, 320) and display.mode in ("L", "RGB")


# ---- the text beside the files, declared (schemas.py) ----

def test_an_upload_answers_its_declared_shape_and_takes_only_its_text_field(as_user):
    client = as_user("reporter")
    data = jpeg_with_gps_and_rotation()
    for fields, field in (({"note": "from the pit"}, "note"),  # was kept, `note` ignored
                          ({"sha256": [sha(data), sha(data)]}, "sha256")):  # which one? (the first was taken)
        response = client.post("/api/v1/photos", data={"photo": (io.BytesIO(data), "pit.jpg"), "sha256": sha(data),
                                                       **fields}, headers={"Accept": "application/json"})
        response.request.environ["wsgi.input"].close()
        assert response.status_code == 400 and field in response.get_json()["fields"]
    assert counts() == (0, 0) and originals().keys() == []
    body = upload(client, data).get_json()
    EvidenceOut.model_validate(body)
    assert set(body) == set(EvidenceOut.model_fields) and set(body["gps"]) == {"lat", "lon"}


def test_the_incident_pages_photo_forms_take_only_their_fields(as_user):
    data = jpeg_with_gps_and_rotation()
    client = as_user("reporter")
    reference = report_with_photo(client, data)
    other = png_bytes(colour=(1, 2, 3))
    upload(client, other)
    for form, field in (({"photos": [sha(other)], "note": "x"}, "note"),  # was attached, `note` ignored
                        ({"photos": ["²" * 64]}, "photos.0"),
                        ({"photos": [sha(other)] * 11}, "photos")):
        refused = client.post(f"/incidents/{reference}/photos", data=form, headers={"Accept": "application/json"})
        assert refused.status_code == 400 and field in refused.get_json()["fields"], refused.get_json()
    moved = client.post(f"/incidents/{reference}/location-from-photo", data={"lat": "0", "lon": "0"})
    assert moved.status_code == 400 and "lat is not a field here" in moved.get_data(as_text=True)
    incident = db.session.scalar(db.select(Incident))
    assert incident.location is None and len(incident.photos) == 1

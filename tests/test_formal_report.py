"""The formal incident report (a printable page and a PDF), the review's PDF and the regulator packs: read
back as a person would (the PDF through poppler's pdftotext), shown only to those who may see the
incident, and every view and download written on the incident's timeline."""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from helpers import T0, file_incident, form_report, png_bytes

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.obligations.service import mark_done, obligations_of
from webapp.organisation.models import Organisation

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing")


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def pdf_images(response, folder) -> int:
    """How many images the PDF holds (poppler's pdfimages lists one a line, after two heading lines)."""
    path = folder / "report.pdf"
    path.write_bytes(response.data)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True)
    return len(listing.stdout.decode().splitlines()) - 2


def exports(incident: Incident) -> list[tuple[str, str]]:
    db.session.refresh(incident)
    return [(e.details["form"], e.actor.email) for e in incident.timeline if e.what == "export"]


def reported_with_photo(as_user) -> Incident:
    """A reporter files a hospital admission at the Sydney depot (WHS-notifiable) with a photo."""
    reporter = as_user("reporter")
    photo = png_bytes(320, 240, (30, 120, 200))
    digest = hashlib.sha256(photo).hexdigest()
    reporter.post("/api/v1/photos", data={"photo": (io.BytesIO(photo), "dock.png"), "sha256": digest})
    answer = reporter.post("/report", headers={"Accept": "application/json"}, data={
        **form_report(treatment="hospital_admitted", description="Pallet slid off the wet dock plate onto a foot"),
        "photos": [digest]})
    assert answer.status_code == 201, answer.get_json()
    return Incident.by_reference(answer.get_json()["reference"])


def investigated_and_reviewed(as_user, demo, ref: str) -> None:
    supervisor = as_user("supervisor")
    assert supervisor.put(f"/api/v1/incidents/{ref}/investigation", json={
        "whys": ["The plate was wet", "The drain was blocked"], "immediate_causes": ["Wet dock plate"],
        "underlying_causes": ["No drain inspection"], "root_cause": "Drain maintenance is not scheduled",
        "root_cause_category": "process", "contributing_factors": ["weather"],
        "witness_statements": [{"name": "Dock hand", "taken_at": T0.isoformat(),
                                "statement": "The pallet slid when the plate tilted."}]}).status_code == 200
    assert supervisor.put(f"/api/v1/incidents/{ref}/review", json={
        "summary": "A pallet slid off a wet dock plate", "impact": "One worker admitted overnight",
        "what_went_well": "First aid within two minutes", "what_went_poorly": "The drain had no owner",
        "where_we_got_lucky": "Nobody else was on the dock",
        "lessons": ["Inspect dock drains weekly"]}).status_code == 200
    assert supervisor.post(f"/api/v1/incidents/{ref}/actions", json={
        "title": "Schedule weekly drain inspections", "owner_id": demo["responder"].id,
        "due_date": (T0 + timedelta(days=14)).date().isoformat(), "control": "engineering",
        "completion_criteria": "On the maintenance plan"}).status_code == 201
    assert supervisor.post(f"/api/v1/incidents/{ref}/status", json={"status": "resolved"}).status_code == 200


def test_the_pdf_holds_the_whole_incident_and_its_download_is_on_the_timeline(as_user, demo, tmp_path):
    incident = reported_with_photo(as_user)
    ref = incident.reference
    investigated_and_reviewed(as_user, demo, ref)
    response = as_user("supervisor").get(f"/incidents/{ref}/report.pdf")
    text = " ".join(pdf_text(response).split())  # the layout's line breaks and padding, as single spaces
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{ref}-report-')
    assert response.headers["Cache-Control"] == "no-store"
    for words in (f"Incident report: {ref}", "Test Org", "Sydney depot", "P1 Critical",
                  "Pallet slid off the wet dock plate onto a foot",  # the description
                  "Admitted to hospital",  # an answer in words, not its key
                  "Notify the WHS regulator",  # an obligation (WHS s38)
                  "Drain maintenance is not scheduled", "The pallet slid when the plate tilted.",  # investigation
                  "A pallet slid off a wet dock plate", "Inspect dock drains weekly",  # the review
                  "Schedule weekly drain inspections", "Photo 1: dock.png",
                  "Timeline", "Reported by Reporter", "Resolved"):
        assert words in text, words
    assert "Page 1 of" in text and ref in text.split("Page 1 of")[0][-40:]  # the running footer
    assert pdf_images(response, tmp_path) == 1  # the photo's display copy, inline
    assert exports(incident) == [("report_pdf", "supervisor@test.example")]
    # Each download is logged on the timeline; the report tells what happened, not who read it.
    again = " ".join(pdf_text(as_user("supervisor").get(f"/incidents/{ref}/report.pdf")).split())
    assert "downloaded as a PDF" not in again and "Every view and download of this record is logged" in again
    assert exports(incident) == [("report_pdf", "supervisor@test.example")] * 2


def test_the_printable_page_and_the_review_pdf(as_user, demo):
    incident = reported_with_photo(as_user)
    ref = incident.reference
    investigated_and_reviewed(as_user, demo, ref)
    page = as_user("responder").get(f"/incidents/{ref}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"Incident report: {ref}" in html
    assert f'src="/incidents/{ref}/photos/' in html and "data:image" not in html  # the page links its photos
    assert f'href="/incidents/{ref}/report.pdf"' in html
    review = pdf_text(as_user("responder").get(f"/incidents/{ref}/review.pdf"))
    flat = " ".join(review.split())
    for words in (f"Post-incident review: {ref}", "This review is blameless", "Where we got lucky",
                  "Nobody else was on the dock", "Drain maintenance is not scheduled", "Schedule weekly drain"):
        assert words in flat, words
    assert exports(incident) == [("report", "responder@test.example"), ("review_pdf", "responder@test.example")]
    assert as_user("reporter").get(f"/incidents/{ref}/report.pdf").status_code == 403  # staff only
    assert as_user("reporter").get(f"/incidents/{ref}/review.pdf").status_code == 403


def test_a_confidential_incident_is_404_to_those_who_may_not_see_it_and_nothing_is_logged(as_user, demo):
    secret = file_incident(demo, confidential=True, description="Suspected theft by a named colleague")
    db.session.commit()
    ref = secret.reference
    for path in ("report", "report.pdf", "review.pdf", "packs"):
        assert as_user("responder").get(f"/incidents/{ref}/{path}").status_code == 404, path
    assert exports(secret) == []
    assert "Suspected theft" in pdf_text(as_user("supervisor").get(f"/incidents/{ref}/report.pdf"))
    assert exports(secret) == [("report_pdf", "supervisor@test.example")]


def test_packs_fill_the_regulators_questions_and_name_what_is_missing(as_user, demo):
    whs = reported_with_photo(as_user)
    riddor = file_incident(demo, injuries=["fracture"], injured_person="worker", days_unfit_for_work=10)
    breach = file_incident(demo, what_happened=["data_breach"], treatment=None, personal_data="yes",
                           people_affected=340, likely_serious_harm="yes", description="Payroll file emailed out")
    step = next(o for o in obligations_of(breach) if o.regime == "GDPR" and o.step == "authority")
    mark_done(breach, step.id, breach.aware_at + timedelta(hours=80), "ICO-123", demo["supervisor"],
              breach.aware_at + timedelta(hours=81))
    db.session.commit()
    responder = as_user("responder")

    page = responder.get(f"/incidents/{whs.reference}/packs").get_data(as_text=True)
    assert "Notifiable incident notice to SafeWork NSW" in page
    assert "Admitted to hospital" in page and "Still to find out" in page
    assert "date of birth" in page.lower()  # never collected by the report, so named as missing
    assert "responder@test.example" in page  # the person preparing the notice is the one who opened the packs

    page = responder.get(f"/incidents/{riddor.reference}/packs").get_data(as_text=True)
    assert "RIDDOR" in page and "Specified injury" in page and "Broken bone" in page

    assert breach.confidential  # a data breach: only supervisors and the people on it
    page = as_user("supervisor").get(f"/incidents/{breach.reference}/packs").get_data(as_text=True)
    assert "340" in page and "Personal data breach report to the ICO" in page
    assert "the authority asks for the reasons for the delay" in page  # told the ICO 80 h after becoming aware
    assert exports(breach) == [("packs", "supervisor@test.example")]

    quiet = file_incident(demo, what_happened=["near_miss"], treatment=None)
    db.session.commit()
    assert "No regulator has to be told" in responder.get(f"/incidents/{quiet.reference}/packs").get_data(as_text=True)


def test_a_csv_export_is_on_the_timeline_of_each_incident_it_holds_and_no_other(as_user, demo):
    sydney = file_incident(demo, site="SYD")
    manchester = file_incident(demo)
    db.session.commit()
    assert as_user("supervisor").get("/api/v1/incidents.csv?site=SYD").status_code == 200
    assert exports(sydney) == [("csv", "supervisor@test.example")]
    assert exports(manchester) == []
    entry = [e for e in sydney.timeline if e.what == "export"][0]
    assert entry.summary == "Included in a CSV export by Supervisor"


def test_packs_only_for_regulators_and_say_when_none_is_required(as_user, demo):
    organisation = Organisation.current()
    organisation.customer_contract = True  # a customer's notice: an obligation, but no regulator's form
    contained = file_incident(demo, what_happened=["data_breach"], treatment=None, personal_data="yes",
                              harm_contained=True, likely_serious_harm="no", description="Laptop found, wiped")
    first_aid = file_incident(demo, site="SYD", treatment="first_aid")
    db.session.commit()
    supervisor = as_user("supervisor")
    page = supervisor.get(f"/incidents/{contained.reference}/packs").get_data(as_text=True)
    assert "Personal data breach report to the ICO" in page and "Not required:" in page
    assert "CUSTOMER" not in page
    page = supervisor.get(f"/incidents/{first_aid.reference}/packs").get_data(as_text=True)
    assert "No regulator has to be told" in page and "CUSTOMER" not in page


def test_the_report_names_no_other_incident_and_lays_out_any_text_on_the_page(as_user, demo, tmp_path):
    text = ("叉车在三号码头撞到货架 — see https://tickets.example.org/" + "x" * 150 + " for the photos")
    incident = file_incident(demo, site="SYD", description=text)
    incident.record("repeat", "Repeat: INC-000099 had the same root cause here 3 days before", None)
    db.session.commit()
    response = as_user("supervisor").get(f"/incidents/{incident.reference}/report.pdf")
    flat = " ".join(pdf_text(response).split())
    assert "叉车在三号码头撞到货架" in flat
    assert "INC-000099" not in flat and "Repeat: another incident had the same root cause" in flat
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts  # the Chinese is drawn in a font that has it, not as empty boxes
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([0-9.]+)"', boxes).group(1))
    right = max(float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes))
    assert right <= width, f"text runs off the page: {right} > {width}"  # the long address wraps


def test_downloads_started_by_other_sites_are_refused_and_not_logged(as_user, demo):
    incident = file_incident(demo, site="SYD")
    db.session.commit()
    ref = incident.reference
    supervisor = as_user("supervisor")
    for path in (f"/incidents/{ref}/report", f"/incidents/{ref}/report.pdf", f"/incidents/{ref}/packs",
                 f"/incidents/{ref}/review.pdf", f"/incidents/{ref}/review/print", "/api/v1/incidents.csv"):
        assert supervisor.get(path, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403, path
    assert exports(incident) == []
    assert supervisor.get(f"/incidents/{ref}/report", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert exports(incident) == [("report", "supervisor@test.example")]


def test_a_csv_export_is_logged_once_a_day_per_person(as_user, demo):
    incident = file_incident(demo, site="SYD")
    db.session.commit()
    for who in ("supervisor", "supervisor", "supervisor", "admin"):
        assert as_user(who).get("/api/v1/incidents.csv").status_code == 200
    assert exports(incident) == [("csv", "supervisor@test.example"), ("csv", "admin@test.example")]

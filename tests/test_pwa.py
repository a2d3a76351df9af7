"""The installable app's server side: manifest, service worker, offline page, session for the outbox."""
import json
import re

from webapp.pwa.schemas import SessionOut, SessionUser
from webapp.pwa.views import SHELL_STATIC


def test_manifest_makes_the_app_installable(client, demo):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/report")
    assert {"name", "short_name", "theme_color", "background_color", "scope"} <= set(manifest)
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        image.close()


def test_service_worker_is_served_from_the_root_never_cached_with_its_version(app, client):
    response = client.get("/sw.js")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/javascript"
    source = response.get_data(as_text=True)
    version = re.search(r'const VERSION = "([0-9a-f]{12})";', source).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*\]);", source).group(1))
    assert "/offline" in precache and all(f"/static/{f}" in precache for f in SHELL_STATIC)
    for url in precache:  # every file of the shell exists, or the worker's install would fail
        asset = client.get(url)
        assert asset.status_code == 200, url
        asset.close()
    app.config["SHELL_VERSION_SALT"] = "next release"
    again = client.get("/sw.js").get_data(as_text=True)
    assert f'"{version}"' not in again  # a new version makes the phone install a new worker


def test_offline_page_holds_nobodys_data(as_user):
    page = as_user("supervisor").get("/offline").get_data(as_text=True)
    assert "No connection" in page
    assert "Supervisor" not in page and "csrf" not in page.lower()


def test_session_gives_the_outbox_a_csrf_token(as_user, client, demo):
    body = as_user("reporter").get("/api/v1/session").get_json()
    assert body["user"]["email"] == "reporter@test.example" and len(body["csrf_token"]) > 20
    assert client.get("/api/v1/session").status_code == 401


def test_text_is_served_compressed(client, demo):
    for url in ("/static/vendor/htmx.min.js", "/static/css/app.css", "/login"):
        response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})  # as Chromium asks
        assert response.headers.get("Content-Encoding") in ("zstd", "br", "gzip", "deflate"), url
        response.close()


def test_the_session_answers_its_declared_shape(as_user, demo):
    body = as_user("supervisor").get("/api/v1/session").get_json()
    SessionOut.model_validate(body)
    assert set(body) == set(SessionOut.model_fields) and set(body["user"]) == set(SessionUser.model_fields)

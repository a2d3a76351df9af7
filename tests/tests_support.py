"""The authorisation matrix: what each role gets from each route (read by test_access.py).

Columns: anonymous, reporter, responder, supervisor, admin. Pages send anonymous users to the login
page (302); the API answers 401. A user without the role gets 403. Bodies are deliberately empty or
invalid where the route changes something, so a permitted role gets the route's validation answer
(400/422) and nothing is changed by the matrix itself; a few routes have nothing to validate.
"""
ROLES_IN_ORDER = ("anonymous", "reporter", "responder", "supervisor", "admin")
INC = "/incidents/INC-000001"

ROUTES = {
    # endpoint: (method, url, body, statuses by role)
    "static": ("GET", "/static/css/app.css", None, (200, 200, 200, 200, 200)),
    "system.healthz": ("GET", "/healthz", None, (200, 200, 200, 200, 200)),
    "auth.login": ("GET", "/login", None, (200, 302, 302, 302, 302)),
    "auth.index": ("GET", "/", None, (302, 302, 302, 302, 302)),
    "auth.logout": ("POST", "/logout", {}, (302, 302, 302, 302, 302)),
    "reporting.new": ("GET", "/report", None, (302, 200, 200, 200, 200)),
    "reporting.submit": ("POST", "/report", {}, (302, 422, 422, 422, 422)),
    "reporting.sent": ("GET", "/report/sent/INC-000001", None, (302, 200, 404, 404, 404)),
    "reporting.mine": ("GET", "/reports/mine", None, (302, 200, 200, 200, 200)),
    "incidents.queue": ("GET", "/incidents", None, (302, 403, 200, 200, 200)),
    "incidents.detail": ("GET", INC, None, (302, 200, 200, 200, 200)),
    "incidents.change_status": ("POST", f"{INC}/status", {}, (302, 403, 422, 422, 422)),
    "incidents.override_severity": ("POST", f"{INC}/severity", {}, (302, 403, 403, 422, 422)),
    "incidents.assign_role": ("POST", f"{INC}/roles", {}, (302, 403, 403, 422, 422)),
    "incidents.add_note": ("POST", f"{INC}/notes", {}, (302, 403, 422, 422, 422)),
    "incidents.acknowledge": ("POST", f"{INC}/acknowledge", {}, (302, 403, 303, 303, 303)),
    "incidents.report_progress": ("POST", f"{INC}/progress", {}, (302, 403, 422, 422, 422)),
    "incidents.correct_aware_at": ("POST", f"{INC}/aware-at", {}, (302, 403, 403, 422, 422)),
    "admin.users": ("GET", "/admin/users", None, (302, 403, 403, 403, 200)),
    "admin.invite_user": ("POST", "/admin/users", {}, (302, 403, 403, 403, 422)),
    "admin.update_user": ("POST", "/admin/users/{user_id}", {}, (302, 403, 403, 403, 303)),
    "admin.reset_password": ("POST", "/admin/users/{user_id}/reset-password", {}, (302, 403, 403, 403, 200)),
    "auth.change_password": ("GET", "/account/password", None, (302, 200, 200, 200, 200)),
    "admin.sites": ("GET", "/admin/sites", None, (302, 403, 403, 403, 200)),
    "admin.create_site": ("POST", "/admin/sites", {}, (302, 403, 403, 403, 400)),
    "admin.update_site": ("POST", "/admin/sites/{site_id}", {}, (302, 403, 403, 403, 303)),
    "admin.organisation": ("GET", "/admin/organisation", None, (302, 403, 403, 403, 200)),
    "admin.tokens": ("GET", "/admin/tokens", None, (302, 403, 403, 403, 200)),
    "admin.create_token": ("POST", "/admin/tokens", {}, (302, 403, 403, 403, 422)),
    "admin.revoke_token": ("POST", "/admin/tokens/{token_id}/revoke", {}, (302, 403, 403, 403, 303)),
    "pwa.manifest": ("GET", "/manifest.webmanifest", None, (200, 200, 200, 200, 200)),
    "pwa.service_worker": ("GET", "/sw.js", None, (200, 200, 200, 200, 200)),
    "pwa.offline": ("GET", "/offline", None, (200, 200, 200, 200, 200)),
    "pwa.session_info": ("GET", "/api/v1/session", None, (401, 200, 200, 200, 200)),
    "evidence.upload": ("POST", "/api/v1/photos", {}, (401, 400, 400, 400, 400)),
    "evidence.add_photos": ("POST", f"{INC}/photos", {}, (302, 400, 400, 400, 400)),
    "evidence.show": ("GET", INC + "/photos/{sha256}/thumbnail", None, (302, 200, 200, 200, 200)),
    "evidence.original": ("GET", INC + "/photos/{sha256}/original", None, (302, 200, 200, 200, 200)),
    "evidence.use_photo_location": ("POST", f"{INC}/location-from-photo", {}, (302, 303, 303, 303, 303)),
    "api.create_incident": ("POST", "/api/v1/incidents", {}, (401, 400, 400, 400, 400)),
    "api.get_incident": ("GET", "/api/v1/incidents/INC-000001", None, (401, 200, 200, 200, 200)),
    "api.list_incidents": ("GET", "/api/v1/incidents", None, (401, 200, 200, 200, 200)),
    "api.get_organisation": ("GET", "/api/v1/organisation", None, (401, 403, 403, 403, 200)),
    "api.patch_organisation": ("PATCH", "/api/v1/organisation", {}, (401, 403, 403, 403, 200)),
    "api.list_sites": ("GET", "/api/v1/sites", None, (401, 403, 403, 403, 200)),
    "api.create_site": ("POST", "/api/v1/sites", {}, (401, 403, 403, 403, 400)),
    "push.alerts": ("GET", "/account/alerts", None, (302, 403, 200, 200, 200)),
    "push.send_test": ("POST", "/account/alerts/test", {}, (302, 403, 303, 303, 303)),
    "push.remove_device": ("POST", "/account/alerts/999999/remove", {}, (302, 403, 404, 404, 404)),
    "push.subscribe": ("POST", "/api/v1/push-subscriptions", {}, (401, 403, 400, 400, 400)),
    "push.list_subscriptions": ("GET", "/api/v1/push-subscriptions", None, (401, 403, 200, 200, 200)),
    "push.unsubscribe": ("DELETE", "/api/v1/push-subscriptions/999999", None, (401, 403, 404, 404, 404)),
    # Authorised by the signed token in the body, not by a session: the same answer for everyone.
    "push.receipt": ("POST", "/api/v1/push/receipts", {}, (400, 400, 400, 400, 400)),
    "push.acknowledge": ("POST", "/api/v1/push/ack", {}, (401, 401, 401, 401, 401)),
}

"""Alerts in real Chromium: enable them on the phone, a page pushed to the service worker (over the
DevTools protocol) shows as a notification with Acknowledge and Open, and Acknowledge works from the
notification, also when it is tapped with no signal."""
import json
import time

import pytest
from helpers import browser_log_in, file_incident
from playwright.sync_api import expect

from webapp.database import utcnow
from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.notify.models import Message, PushSubscription
from webapp.notify.vapid import application_server_key
from webapp.notify.worker import work_once

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True}

# There is no push service to subscribe with here: the browser's subscribe() is replaced by one that
# returns the subscription the test made, whose endpoint is the test's local push service.
FAKE_PUSH_MANAGER = """
(() => {
  const made = %s;
  function current() {
    if (!localStorage.getItem("test-push-subscribed")) return null;
    return { endpoint: made.endpoint, expirationTime: null,
             toJSON() { return { endpoint: made.endpoint, expirationTime: null, keys: made.keys }; },
             unsubscribe() { localStorage.removeItem("test-push-subscribed"); return Promise.resolve(true); } };
  }
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem("test-push-key", btoa(String.fromCharCode.apply(null, key)));
    localStorage.setItem("test-push-subscribed", "1");
    return Promise.resolve(current());
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current()); };
})();
"""


@pytest.fixture
def handset(browser_type, browser_type_launch_args, tmp_path, live_server):
    context = browser_type.launch_persistent_context(str(tmp_path / "profile"), **browser_type_launch_args, **PHONE)
    context.grant_permissions(["notifications"], origin=live_server)
    yield context
    context.close()


def until(check, timeout: float = 20, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        db.session.commit()  # see what the server committed
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def controlled(page) -> None:
    """Wait for the service worker to control the page (a reload picks it up if the first load missed it)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        time.sleep(0.5)
        page.reload()
    raise AssertionError("the service worker never took control")


def enable_alerts(handset, live_server, push_service):
    """Log in as the responder on the phone and tap "Enable alerts on this phone"."""
    subscriber = push_service.subscribe()
    handset.add_init_script(FAKE_PUSH_MANAGER % json.dumps(subscriber.subscription()))
    page = handset.pages[0] if handset.pages else handset.new_page()
    browser_log_in(page, live_server, "responder@test.example")
    page.get_by_role("link", name="Alerts").click()  # the alert list, and from it the phone's setup
    page.get_by_role("link", name="Alerts on your phones").click()
    controlled(page)
    expect(page.locator("#push-state")).to_have_text("Alerts are off for this phone.")
    page.get_by_role("button", name="Enable alerts on this phone").tap()
    expect(page.locator("#device-list")).to_contain_text("Chrome on Linux")
    return subscriber, page


class ServiceWorkerPush:
    """Deliver push messages to the page's service worker over the DevTools protocol."""

    def __init__(self, context, page, origin):
        self.origin = origin
        self.registrations = {}
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: self.registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"] if not r["isDeleted"]}))
        self.cdp.send("ServiceWorker.enable")
        for _ in range(100):  # events arrive while Playwright is waiting, not during time.sleep
            if self.registrations.get(origin + "/"):
                return
            page.wait_for_timeout(100)
        raise AssertionError("no service worker registration was reported")

    def deliver(self, text: str) -> None:
        self.cdp.send("ServiceWorker.deliverPushMessage", {"origin": self.origin, "data": text,
                                                           "registrationId": self.registrations[self.origin + "/"]})


def page_the_phone(demo, handset, page, live_server, push_service):
    """File a P1, let the worker page the responder, and hand the push to the phone's service worker."""
    incident = file_incident(demo)
    db.session.commit()
    work_once(utcnow())
    [message] = push_service.wait_for(1)
    sw = ServiceWorkerPush(handset, page, live_server)
    sw.deliver(message.payload)
    return incident, message, sw


def notifications(context) -> list[dict]:
    worker = context.service_workers[0]
    return worker.evaluate("""async () => (await self.registration.getNotifications()).map((n) => ({
        title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction,
        actions: n.actions.map((a) => [a.action, a.title]) }))""")


def tap(context, action: str) -> None:
    """Tap an action on the notification. No protocol command clicks a notification, so the worker
    gets the event a tap would send it."""
    context.service_workers[0].evaluate("""async (action) => {
        const [notification] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent("notificationclick", { notification, action }));
    }""", action)


def tap_acknowledge(context) -> None:
    tap(context, "ack")


def test_a_page_shows_on_the_phone_and_is_acknowledged_from_the_notification(
        app, handset, live_server, demo, p1_policy, push_service, screenshot):
    subscriber, page = enable_alerts(handset, live_server, push_service)
    expect(page.locator("#push-state")).to_have_text("Alerts are on for this phone.")
    screenshot(page, "phone-alerts-enabled")
    assert page.evaluate("localStorage.getItem('test-push-key')").replace("+", "-").replace("/", "_").rstrip("=") \
        == application_server_key(app)  # subscribed with our VAPID public key
    assert db.session.scalar(db.select(PushSubscription.endpoint)) == subscriber.endpoint

    incident, message, sw = page_the_phone(demo, handset, page, live_server, push_service)
    sw.deliver(message.payload)  # the same page twice (a resend after a crash): shown once
    shown = until(lambda: notifications(handset), what="the notification")
    assert shown == [{"title": f"P1 Critical · {incident.reference}", "tag": f"incident-{incident.reference}",
                      "body": f"Manchester plant: {incident.description}", "requireInteraction": True,
                      "actions": [["ack", "Acknowledge"], ["open", "Open"]]}]
    page_row = until(lambda: (row := db.session.scalar(db.select(Message).where(Message.channel == "push")))
                     and row.state == "shown" and row,
                     what="the shown receipt")
    assert page_row.delivered_at is not None

    tap(handset, "open")  # "Open" takes the app to the incident
    page.wait_for_url(f"{live_server}/incidents/{incident.reference}")
    expect(page.get_by_role("heading", name=incident.reference)).to_be_visible()
    sw.deliver(message.payload)  # the alert again (the tap closed it), to acknowledge from it
    until(lambda: notifications(handset), what="the notification again")

    tap_acknowledge(handset)
    until(lambda: db.session.get(Incident, incident.id).acknowledged_at, what="the acknowledgement")
    assert db.session.get(Incident, incident.id).timeline[-1].summary == \
        "Acknowledged by Responder from the alert on their phone"
    [follow_up] = until(lambda: [n for n in notifications(handset) if n["body"].startswith("Acknowledged")],
                        what="the confirmation")
    assert follow_up["body"] == f"Acknowledged. Escalation stopped for {incident.reference}."
    page.reload()
    expect(page.locator("#incident-detail")).to_contain_text("Alerts sent (1)")
    expect(page.locator("#incident-detail")).to_contain_text("Responder phone: shown on the phone")
    screenshot(page, "phone-incident-alerted")


def test_acknowledge_tapped_with_no_signal_is_sent_when_the_signal_returns(
        app, handset, live_server, demo, p1_policy, push_service):
    _subscriber, page = enable_alerts(handset, live_server, push_service)
    incident, _message, _sw = page_the_phone(demo, handset, page, live_server, push_service)
    until(lambda: notifications(handset), what="the notification")

    handset.set_offline(True)
    # The worker's own view of the network changes a moment later (slowly on a busy machine): wait for it.
    until(lambda: handset.service_workers[0].evaluate("navigator.onLine") is False, what="the phone offline")
    tap_acknowledge(handset)
    [saved] = until(lambda: [n for n in notifications(handset) if "saved on this phone" in n["body"]],
                    what="the saved-for-later notice")
    assert saved["body"] == "Acknowledgement saved on this phone: it is sent as soon as there is signal."
    time.sleep(1)
    assert db.session.get(Incident, incident.id).acknowledged_at is None
    handset.set_offline(False)  # the signal returns: Background Sync sends the waiting acknowledgement
    until(lambda: handset.service_workers[0].evaluate("navigator.onLine") is True, what="the phone online")
    try:
        until(lambda: db.session.get(Incident, incident.id).acknowledged_at, timeout=20, what="the acknowledgement")
    except AssertionError:
        # On a busy machine the worker's own network comes back after the browser's: Background Sync fired
        # and failed, and Chromium retries it only after 5 minutes. The app's page asks again at its next
        # "online" event (static/js/app.js), as a phone's next network change would.
        page.evaluate("window.dispatchEvent(new Event('online'))")
        until(lambda: db.session.get(Incident, incident.id).acknowledged_at, timeout=30,
              what="the queued acknowledgement")

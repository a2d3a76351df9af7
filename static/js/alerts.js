// "Enable alerts on this phone": subscribe with the browser's push manager and give the server the
// subscription. No inline script (CSP); loaded only on the alerts page.
(function () {
  "use strict";
  var setup = document.getElementById("push-setup");
  if (!setup) return;
  var state = document.getElementById("push-state");
  var enable = document.getElementById("push-enable");
  var disable = document.getElementById("push-disable");

  function say(text) { state.textContent = text; }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin", body: body ? JSON.stringify(body) : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": setup.dataset.csrf }
    }).then(function (response) {
      if (response.ok) return response.status === 204 ? {} : response.json();
      return response.json().catch(function () { return {}; }).then(function (answer) {
        var error = new Error(answer.error || ("the server answered " + response.status));
        error.status = response.status;
        throw error;
      });
    });
  }

  function show(subscribed) {
    enable.hidden = subscribed;
    disable.hidden = !subscribed;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The device list names each subscription by the SHA-256 of its endpoint: find this phone's and delete it.
  function forget(endpoint) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(endpoint)).then(function (digest) {
      var item = document.querySelector("[data-endpoint-hash='" + hex(digest) + "']");
      if (item) return send("DELETE", "/api/v1/push-subscriptions/" + item.dataset.subscriptionId);
      return null;
    });
  }

  function refresh() { setTimeout(function () { location.reload(); }, 600); }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot show alerts. On iPhone, add the app to the home screen first; otherwise use Chrome, Edge, Firefox or Samsung Internet.");
    return;
  }

  navigator.serviceWorker.ready.then(function (registration) {
    return registration.pushManager.getSubscription().then(function (existing) {
      if (Notification.permission === "denied") {
        say("Alerts are blocked for this site. Allow notifications in the browser's site settings, then reload.");
        return;
      }
      say(existing ? "Alerts are on for this phone." : "Alerts are off for this phone.");
      show(Boolean(existing));

      enable.addEventListener("click", function () {
        enable.disabled = true;
        say("Asking for permission…");
        Notification.requestPermission().then(function (permission) {
          if (permission !== "granted") throw new Error("notifications were not allowed");
          return registration.pushManager.subscribe({ userVisibleOnly: true,
            applicationServerKey: keyBytes(setup.dataset.publicKey) });
        }).then(function (subscription) {
          return send("POST", "/api/v1/push-subscriptions", subscription.toJSON()).catch(function (error) {
            if (error.status !== 409) throw error;
            // This phone's subscription belongs to someone who used it before: make a new one of our own.
            return subscription.unsubscribe().then(function () {
              return registration.pushManager.subscribe({ userVisibleOnly: true,
                applicationServerKey: keyBytes(setup.dataset.publicKey) });
            }).then(function (fresh) { return send("POST", "/api/v1/push-subscriptions", fresh.toJSON()); });
          });
        }).then(function () {
          say("Alerts are on for this phone.");
          show(true);
          refresh();
        }).catch(function (error) {
          say("Alerts could not be turned on: " + error.message + ".");
        }).finally(function () { enable.disabled = false; });
      });

      disable.addEventListener("click", function () {
        disable.disabled = true;
        registration.pushManager.getSubscription().then(function (subscription) {
          if (!subscription) return null;
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () { return forget(endpoint); });
        }).then(function () {
          say("Alerts are off for this phone.");
          show(false);
          refresh();
        }).catch(function (error) {
          say("Could not turn alerts off: " + error.message + ".");
        }).finally(function () { disable.disabled = false; });
      });
    });
  });
})();

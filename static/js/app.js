// Small enhancements on top of server-rendered pages. No inline script anywhere (CSP).
/* global Outbox */
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 900px)");

  // ---- Queue rows open in the side pane on a tablet and as a page on a phone. ----
  var selected = null;
  function markSelected() {
    document.querySelectorAll("[data-pane-link]").forEach(function (link) {
      if (link.getAttribute("href") === selected) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var link = event.detail.elt;
    if (!link || !link.hasAttribute("data-pane-link")) return;
    if (!wide.matches) {
      event.preventDefault();
      window.location.href = link.getAttribute("href");
      return;
    }
    selected = link.getAttribute("href");
    markSelected();
  });
  // The queue list re-renders itself every few seconds; keep the open incident marked.
  document.addEventListener("htmx:afterSwap", markSelected);

  document.addEventListener("DOMContentLoaded", function () {
    // A form that comes back with errors moves focus to its summary so the reader hears it.
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  // ---- Deadlines count down on the page (the server renders the same words on each load). ----
  function countdownText(ms) {
    if (Math.abs(ms) < 60000) return "due now";
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var parts = [];
    if (d) parts.push(d + " d");
    if (h) parts.push(h + " h");
    if (m && !d) parts.push(m + " min");
    var text = parts.join(" ") || "less than a minute";
    return ms > 0 ? "due in " + text : "overdue by " + text;
  }
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      el.textContent = countdownText(Date.parse(el.getAttribute("data-deadline")) - Date.now());
    });
  }
  setInterval(tick, 30000);

  // ---- "Add my location": fill the hidden fields from the device, with its accuracy. ----
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-locate]");
    if (!button) return;
    var status = document.getElementById("location-status");
    if (!("geolocation" in navigator)) { status.textContent = "This device cannot share its location."; return; }
    status.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("location_lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("location_lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("location_accuracy").value = Math.round(pos.coords.accuracy);
      status.textContent = "Location added (±" + Math.round(pos.coords.accuracy) + " m).";
    }, function (error) {
      status.textContent = "No location: " + error.message + ". You can send the report without it.";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // ---- Service worker: "ready to work offline" and "update available". ----
  var appStatus = document.getElementById("app-status");
  function say(text, offerReload) {
    if (!appStatus) return;
    document.getElementById("app-status-text").textContent = text;
    document.getElementById("app-status-reload").hidden = !offerReload;
    appStatus.hidden = false;
    if (!offerReload) setTimeout(function () { appStatus.hidden = true; }, 6000);
  }

  if ("serviceWorker" in navigator) {
    var reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloading) location.reload();
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      function offerUpdate(worker) {
        say("Update available.", true);
        document.getElementById("app-status-reload").onclick = function () {
          reloading = true;
          worker.postMessage({ type: "skip-waiting" });
          setTimeout(function () { location.reload(); }, 3000);  // if the new worker is slow to take over
        };
      }
      function track(worker) {
        if (!worker || worker.tracked) return;
        worker.tracked = true;
        worker.addEventListener("statechange", function () {
          if (worker.state !== "installed") return;
          if (navigator.serviceWorker.controller) offerUpdate(worker);
          else say("Ready to work offline.", false);
        });
      }
      if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
      track(registration.installing);  // the first install may already be under way
      registration.addEventListener("updatefound", function () { track(registration.installing); });
    }).catch(function () { /* no service worker (private mode): the app still works online */ });
  }

  // ---- The header's Alerts badge: alerts still waiting for an answer, kept current while the app is open. ----
  var badge = document.querySelector("[data-alerts-badge]");
  var shown = badge ? parseInt(badge.lastChild.textContent, 10) || 0 : 0;
  function pollAlerts() {
    if (!badge || document.hidden) return;
    fetch("/api/v1/alerts", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (summary) {
        if (!summary) return;
        badge.lastChild.textContent = String(summary.waiting);
        badge.hidden = !summary.waiting;
        if (summary.waiting > shown && summary.latest) say("New alert: " + summary.latest.title, false);
        shown = summary.waiting;
      }).catch(function () { /* no signal: the badge stays as it was */ });
  }
  if (badge) {
    setInterval(pollAlerts, 15000);
    document.addEventListener("visibilitychange", pollAlerts);
  }

  function tellWorker(message) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage(message);
  }

  // Acknowledgements tapped on a notification with no signal wait in the service worker: nudge it.
  tellWorker({ type: "flush-acks" });
  window.addEventListener("online", function () { tellWorker({ type: "flush-acks" }); });

  if (typeof Outbox === "undefined") return;

  // ---- The outbox: list what waits on this phone, and keep trying to send it. ----
  var list = document.getElementById("outbox-list");
  var LABELS = { queued: "Waiting to send", sending: "Sending…", sent: "Sent", failed: "Not sent" };

  function button(text, handler) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", handler);
    return b;
  }

  function renderOutbox() {
    if (!list) return Promise.resolve();
    return Outbox.all().then(function (items) {
      var recent = items.filter(function (item) {
        return item.state !== "sent" || Date.now() - Date.parse(item.sentAt || item.updatedAt) < 3 * 86400000;
      });
      list.parentElement.hidden = !recent.length;
      list.textContent = "";
      recent.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "card outbox-item";
        row.setAttribute("data-outbox-id", item.id);
        row.setAttribute("data-state", item.state);
        var state = document.createElement("span");
        state.className = "state state-" + item.state;
        state.textContent = LABELS[item.state] + (item.state === "sent" && item.reference ? ": " + item.reference : "");
        var summary = document.createElement("p");
        summary.textContent = item.summary + (item.photos && item.photos.length ? " · " + item.photos.length + " photo(s)" : "");
        row.append(state, summary);
        if (item.kind === "statement" && item.state === "failed") {  // its words, to copy before deleting
          var words = document.createElement("p");
          words.textContent = (item.fields.filter(function (pair) { return pair[0] === "statement"; })[0] || ["", ""])[1];
          row.append(words);
        }
        if (item.error) {
          var reason = document.createElement("p");
          reason.className = item.state === "failed" ? "error" : "hint";
          reason.textContent = item.error;
          row.append(reason);
        }
        var actions = document.createElement("div");
        actions.className = "row-actions";
        if (item.state === "sent" && item.reference) {
          var open = document.createElement("a");
          var statement = item.kind === "statement";
          open.href = "/incidents/" + encodeURIComponent(item.reference) + (statement ? "/investigation#statements" : "");
          open.textContent = (statement ? "Open the investigation of " : "Open ") + item.reference;
          actions.append(open);
        } else {
          if (item.state === "failed" && item.kind === "report") {
            var edit = document.createElement("a");
            edit.className = "button";
            edit.href = "/report?draft=" + encodeURIComponent(item.id);
            edit.textContent = "Edit and resend";
            actions.append(edit);
          }
          if (item.state !== "failed") actions.append(button("Send now", retry));
          actions.append(button("Delete from this phone", function () {
            if (confirm("Delete this from this phone? It has not reached the server and cannot be recovered.")) {
              Outbox.remove(item.id);
            }
          }));
        }
        row.append(actions);
        list.append(row);
      });
    });
  }

  function retry() { flushSoon(true); }

  var timer = null;
  function flushSoon(now) {
    clearTimeout(timer);
    return Outbox.flush(now === true).then(function () { return Outbox.nextAttemptIn(); }).then(function (wait) {
      if (wait !== null) timer = setTimeout(flushSoon, Math.max(wait, 1000));
    }).catch(function () { timer = setTimeout(flushSoon, 30000); });
  }
  function flushNow() { flushSoon(true); }

  if (Outbox.channel) Outbox.channel.addEventListener("message", renderOutbox);
  window.addEventListener("outbox:changed", renderOutbox);
  window.addEventListener("online", flushNow);  // signal is back: do not wait for the retry timer
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flushSoon(); });
  renderOutbox();
  if (document.querySelector(".logout")) flushNow();  // the app was opened (logged in): send what waits

  // ---- Logging out: warn about reports still waiting; they stay on the phone. ----
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("logout") || form.hasAttribute("data-confirmed")) return;
    event.preventDefault();
    Outbox.all().then(Outbox.waiting).then(function (waiting) {
      var ok = !waiting.length || confirm(waiting.length + (waiting.length === 1 ? " report or statement has" : " reports or statements have") + " not been sent yet. They stay on this " +
        "phone and are sent after the next log-in. Log out now?");
      if (!ok) return;
      tellWorker({ type: "forget-pages" });  // cached pages hold this person's data
      form.setAttribute("data-confirmed", "");
      form.submit();
    });
  });
  if (location.pathname === "/login") tellWorker({ type: "forget-pages" });

  // ---- A link to a folded section (#add-action) opens it. ----
  var folded = location.hash && document.getElementById(location.hash.slice(1));
  if (folded && folded.tagName === "DETAILS") folded.open = true;

  // ---- Photos chosen as an action's evidence: named under the button, so the owner sees what goes. ----
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".done-form input[type=file]")) return;
    var list = input.form.querySelector(".photo-previews");
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      list.append(item);
    });
  });

  // ---- A lesson's "Read": recorded without leaving the page, so a report being typed is not lost. ----
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-lesson-read")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "HX-Request": "true" } }).then(function (response) {
      if (response.status === 401) { location.assign("/login?next=" + encodeURIComponent(location.pathname)); return; }
      if (!response.ok) {
        button.disabled = false;
        say("Not recorded (the server answered " + response.status + "). Reload the page and tap Read again.");
        return;
      }
      form.closest(".lesson-banner").remove();
    }).catch(function () {
      button.disabled = false;
      say("Not recorded: no connection. Tap Read again when there is signal.");
    });
  });
})();

// Small enhancements on top of server-rendered pages. No inline script anywhere (CSP).
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 900px)");

  // Queue rows open in the side pane on a tablet and as a page on a phone.
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

  // A form that comes back with errors moves focus to its summary so the reader hears it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  // "Add my location": fill the hidden fields from the device, with its accuracy.
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
})();

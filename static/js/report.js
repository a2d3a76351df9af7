/* The report form and the "add photos" forms: guided questions, photos, and sending via the outbox. */
/* global Outbox */
(function () {
  "use strict";

  // ---- Guided questions: each follow-up carries the condition that asks it (data-show-when). ----
  function answersOf(form) {
    var answers = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string") return;
      (answers[name] = answers[name] || []).push(value);
    });
    return answers;
  }

  function guide(form) {
    var answers = answersOf(form);
    form.querySelectorAll("[data-show-when]").forEach(function (question) {
      var rule = JSON.parse(question.getAttribute("data-show-when"));
      var asked = Object.keys(rule).every(function (key) {
        return (answers[key] || []).some(function (value) { return rule[key].indexOf(value) !== -1; });
      });
      if (question.hidden === !asked) return;
      question.hidden = !asked;
      question.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !asked; });
    });
  }

  // ---- Photos: previews, limits, and each original's SHA-256 computed when it is chosen. ----
  function photoPicker(form, onChange) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector(".photo-previews");
    var photos = [];

    function render() {
      if (onChange) onChange(photos.length);
      list.textContent = "";
      photos.forEach(function (photo, index) {
        var item = document.createElement("li");
        var image = document.createElement("img");
        image.src = photo.url || (photo.url = URL.createObjectURL(photo.blob));
        image.alt = "Photo " + (index + 1) + ": " + photo.name;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove photo " + (index + 1));
        remove.addEventListener("click", function () {
          photos.splice(index, 1);
          if (photo.url) URL.revokeObjectURL(photo.url);
          render();
        });
        item.append(image, remove);
        list.append(item);
      });
    }

    function add(file) {
      var problem = Outbox.photoProblem(file, photos.length + 1);
      if (problem) return problem;
      var photo = { id: crypto.randomUUID(), name: file.name || "photo.jpg", type: file.type, size: file.size,
        blob: file, sha256: null, uploaded: false };
      photo.hashing = Outbox.sha256Hex(file).then(function (hex) { photo.sha256 = hex; });
      photos.push(photo);
      return null;
    }

    input.addEventListener("change", function () {
      var problems = Array.prototype.map.call(input.files, add).filter(Boolean);
      input.value = "";  // the outbox keeps the files; the form itself does not send them
      render();
      status(form, problems.join(" "), !!problems.length);
    });

    return {
      photos: photos,
      load: function (saved) { saved.forEach(function (p) { if (p.blob) photos.push(p); }); render(); },
      ready: function () {
        return Promise.all(photos.map(function (p) { return p.hashing; })).then(function () {
          return photos.map(function (p) {
            return { id: p.id, name: p.name, type: p.type, size: p.size, sha256: p.sha256, blob: p.blob, uploaded: false };
          });
        });
      }
    };
  }

  function status(form, text, isError) {
    var line = form.querySelector("[data-form-status]");
    if (!line) return;
    line.textContent = text;
    line.classList.toggle("error", !!isError);
    if (text && line.scrollIntoView) line.scrollIntoView({ block: "nearest" });
  }

  function requestSync() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(Outbox.SYNC_TAG);
    }).catch(function () { /* no Background Sync: app.js retries on online, on open and on a timer */ });
  }

  function sendNow(id) {
    requestSync();
    if (!navigator.onLine) return Outbox.get(id);
    return Outbox.flush().then(function () { return Outbox.get(id); });
  }

  // ---- The report form ----
  function nowAtSite(form) {
    // The server reads the time in the site's zone, so "now" must be the site's wall clock too.
    var site = form.querySelector("[name=site]");
    var option = site && site.options[site.selectedIndex];
    var zone = (option && option.getAttribute("data-timezone")) || undefined;
    var parts = {};
    new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date())
      .forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  function showFieldErrors(form, item) {
    form.querySelectorAll(".outbox-error").forEach(function (node) { node.remove(); });
    Object.keys(item.fieldErrors || {}).forEach(function (key) {
      var question = document.getElementById("q-" + key);
      if (!question || !key) return;
      var message = document.createElement("p");
      message.className = "error outbox-error";
      message.textContent = item.fieldErrors[key];
      question.insertBefore(message, question.children[1] || null);
    });
  }

  function fillFromDraft(form, item) {
    form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (box) { box.checked = false; });
    item.fields.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      if (name === "submitted_at") return;
      form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          if (input.value === value) input.checked = true;
        } else if (input.type !== "file") {
          input.value = value;
        }
      });
    });
  }

  function setUpReportForm(form) {
    var picker = photoPicker(form);
    var draftId = new URLSearchParams(location.search).get("draft");
    var serverErrors = document.getElementById("error-summary");
    form.addEventListener("change", function () { guide(form); });

    if (draftId) {
      Outbox.get(draftId).then(function (item) {
        if (!item) return;
        fillFromDraft(form, item);
        picker.load(item.photos || []);
        guide(form);
        showFieldErrors(form, item);
        status(form, item.error ? "Not sent: " + item.error : "", !!item.error);
      });
    } else if (!serverErrors) {
      // This page may come from the phone's cache: every new report gets its own id and time.
      form.querySelector("[name=client_id]").value = crypto.randomUUID();
      var when = form.querySelector("[name=occurred_at]");
      if (when) when.value = nowAtSite(form);
    }
    guide(form);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var started = performance.now();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && name !== "csrf_token") fields.push([name, value]);
      });
      fields.push(["submitted_at", new Date().toISOString()]);
      var id = form.querySelector("[name=client_id]").value;
      var description = (form.querySelector("[name=description]").value || "").trim();
      picker.ready().then(function (photos) {
        return Outbox.save({ id: id, kind: "report", reference: null, summary: description.slice(0, 120) || "(no description yet)",
          fields: fields, photos: photos, state: "queued", attempts: 0, nextAttemptAt: 0, error: null, fieldErrors: null });
      }).then(function () {
        status(form, "Saved on this phone. Sending…");
        document.dispatchEvent(new CustomEvent("report:saved", { detail: { id: id, ms: performance.now() - started } }));
        return sendNow(id);
      }).then(function (item) {
        button.disabled = false;
        if (item.state === "sent") {
          location.assign("/report/sent/" + encodeURIComponent(item.reference));
        } else if (item.state === "failed") {
          showFieldErrors(form, item);
          status(form, "Not sent: " + item.error + " Fix it and tap Submit again; it stays on this phone.", true);
        } else {
          status(form, "Saved on this phone. It will be sent when there is signal. ");
          var another = document.createElement("a");
          another.href = "/report";
          another.textContent = "Start another report";
          form.querySelector("[data-form-status]").append(another);
        }
      }, function (error) {
        button.disabled = false;
        status(form, "Could not save on this phone: " + error.message + ". Keep this page open and try again.", true);
      });
    });
  }

  // ---- "Add photos" on an incident: the same outbox, as a photos-only item. ----
  function setUpPhotoForm(form) {
    var attach = form.querySelector("button[type=submit]");
    var picker = photoPicker(form, function (count) { attach.hidden = count === 0; });
    attach.hidden = true;  // shown once photos are chosen
    var reference = form.getAttribute("data-outbox-photos");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      picker.ready().then(function (photos) {
        if (!photos.length) { status(form, "Choose at least one photo.", true); return null; }
        var id = crypto.randomUUID();
        return Outbox.save({ id: id, kind: "photos", reference: reference, summary: photos.length + " photo(s) for " + reference,
          fields: [], photos: photos, state: "queued", attempts: 0, nextAttemptAt: 0 }).then(function () {
          status(form, "Saved on this phone. Sending…");
          return sendNow(id);
        }).then(function (item) {
          if (item.state === "sent") location.reload();
          else if (item.state === "failed") status(form, "Not added: " + item.error, true);
          else status(form, "Saved on this phone; the photos will be added when there is signal.");
        });
      });
    });
  }

  // ---- A witness statement on the investigation page: kept on the tablet until the server has it. ----
  function setUpStatementForm(form) {
    var reference = form.getAttribute("data-outbox-statement");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = form.querySelector("[name=name]").value.trim();
      var statement = form.querySelector("[name=statement]").value.trim();
      if (!name || !statement) { status(form, "Give who it is and what they saw.", true); return; }
      var when = form.querySelector("[name=taken_at]").value;
      // Taken now unless said otherwise: the time it was written down, not the time it reached the server.
      var fields = [["name", name], ["statement", statement], ["taken_at", when || new Date().toISOString()]];
      var id = crypto.randomUUID();
      Outbox.save({ id: id, kind: "statement", reference: reference, summary: "Statement from " + name + " for " + reference,
        fields: fields, photos: [], state: "queued", attempts: 0, nextAttemptAt: 0 }).then(function () {
        status(form, "Saved on this device. Sending…");
        return sendNow(id);
      }).then(function (item) {
        if (item.state === "sent") { location.reload(); return; }
        if (item.state === "failed") { status(form, "Not added: " + item.error, true); return; }
        form.reset();
        status(form, "Saved on this device: the statement from " + name + " will be added when there is signal.");
      }, function (error) {
        status(form, "Could not save on this device: " + error.message + ". Keep this page open and try again.", true);
      });
    });
  }
  document.querySelectorAll("form[data-outbox-statement]").forEach(setUpStatementForm);

  var reportForm = document.querySelector("form[data-outbox]");
  if (reportForm) setUpReportForm(reportForm);
  // Other forms of the same questions (a supervisor correcting the answers) are guided the same way.
  document.querySelectorAll("form[data-guided]").forEach(function (form) {
    form.addEventListener("change", function () { guide(form); });
    guide(form);
  });
  // The incident page can be swapped in by htmx (tablet pane): set up forms whenever they appear.
  function photoForms(root) {
    root.querySelectorAll("form[data-outbox-photos]:not([data-ready])").forEach(function (form) {
      form.setAttribute("data-ready", "");
      setUpPhotoForm(form);
    });
  }
  photoForms(document);
  document.addEventListener("htmx:load", function (event) { photoForms(event.detail.elt); });
})();

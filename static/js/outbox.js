/* Report outbox: reports and photos wait on the phone (IndexedDB) until the server has them.
 *
 * Runs in pages and in the service worker (importScripts), so either can send. One flush runs at a
 * time across both (a Web Lock), and the server's client_id (reports) and SHA-256 (photos) make any
 * retry harmless: a retry after a lost response never makes a second incident.
 *
 * An item: { id (the report's client_id), kind: "report" | "photos" | "statement", reference, summary,
 *   fields: [[name, value], ...], photos: [{id, name, type, size, sha256, blob, uploaded}],
 *   state: "queued" | "sending" | "sent" | "failed", error, fieldErrors, attempts, nextAttemptAt,
 *   createdAt, updatedAt }
 */
(function (scope) {
  "use strict";
  var DB_NAME = "field-incidents";
  var STORE = "outbox";
  var SYNC_TAG = "outbox-flush";
  var MAX_PHOTO_BYTES = 20 * 1024 * 1024;
  var MAX_PHOTOS = 10;
  var channel = "BroadcastChannel" in scope ? new BroadcastChannel("outbox") : null;
  var database = null;
  var flushing = null;

  function openDatabase() {
    if (!database) {
      database = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return database;
  }

  function transaction(mode, work) {
    // Resolves when the transaction has committed: for "readwrite", the item is safely on disk.
    return openDatabase().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode, { durability: "strict" });
        var result;
        var request = work(tx.objectStore(STORE));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error || new Error("the phone's storage refused the report")); };
      });
    });
  }

  function announce(id) {
    if (channel) channel.postMessage({ type: "changed", id: id });
    if (scope.dispatchEvent && typeof CustomEvent === "function") {
      scope.dispatchEvent(new CustomEvent("outbox:changed", { detail: { id: id } }));
    }
  }

  function save(item) {
    var now = new Date().toISOString();
    item.createdAt = item.createdAt || now;
    item.updatedAt = now;
    return transaction("readwrite", function (store) { return store.put(item); }).then(function () {
      announce(item.id);
      return item;
    });
  }

  function get(id) { return transaction("readonly", function (store) { return store.get(id); }); }
  function all() {
    return transaction("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.createdAt < b.createdAt ? 1 : -1; });
    });
  }
  function remove(id) {
    return transaction("readwrite", function (store) { return store.delete(id); }).then(function () { announce(id); });
  }

  function waiting(items) {
    return items.filter(function (item) { return item.state !== "sent"; });
  }

  function backoff(attempts) {
    return Math.min(5000 * Math.pow(2, Math.max(0, attempts - 1)), 5 * 60 * 1000);
  }

  function timedFetch(url, options, milliseconds) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, milliseconds);
    options.signal = controller.signal;
    options.credentials = "same-origin";
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  function LoginNeeded() { this.message = "Log in to send: it is kept on this phone until then."; }

  function sessionToken() {
    return timedFetch("/api/v1/session", { headers: { Accept: "application/json" } }, 15000).then(function (response) {
      if (response.status === 401) throw new LoginNeeded();
      if (!response.ok) throw new Error("The server is not answering (" + response.status + ")");
      return response.json();
    }).then(function (body) { return body.csrf_token; });
  }

  function later(item, message) {
    item.state = "queued";
    item.attempts = (item.attempts || 0) + 1;
    item.nextAttemptAt = Date.now() + backoff(item.attempts);
    item.error = message;
    return save(item);
  }

  function refused(item, response, prefix) {
    // The server said no: 4xx means the report itself must change; anything else is worth retrying.
    return response.json().catch(function () { return {}; }).then(function (body) {
      var message = body.error || ("the server answered " + response.status);
      if (response.status === 401) return later(item, new LoginNeeded().message);
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        item.state = "failed";
        item.error = prefix + message;
        item.fieldErrors = body.fields || {};
        return save(item);
      }
      return later(item, "Not sent yet (" + message + "); trying again soon.");
    });
  }

  function uploadPhoto(photo, token) {
    var form = new FormData();
    form.append("photo", photo.blob, photo.name);
    form.append("sha256", photo.sha256);
    // Allow a slow uplink: 20 MB at about 100 kB/s.
    return timedFetch("/api/v1/photos", { method: "POST", body: form,
      headers: { "X-CSRFToken": token, Accept: "application/json" } }, 240000);
  }

  function sendOne(item, token) {
    item.state = "sending";
    return save(item).then(function () {
      var pending = item.photos.filter(function (photo) { return !photo.uploaded; });
      var chain = Promise.resolve(true);
      pending.forEach(function (photo) {
        chain = chain.then(function (ok) {
          if (!ok) return false;
          return uploadPhoto(photo, token).then(function (response) {
            if (!response.ok) return refused(item, response, "").then(function () { return false; });
            photo.uploaded = true;
            return save(item).then(function () { return true; });
          });
        });
      });
      return chain;
    }).then(function (photosOk) {
      if (!photosOk) return null;
      var body = new URLSearchParams();
      var url;
      if (item.kind === "report") {
        item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
        url = "/report";
      } else if (item.kind === "statement") {  // a witness statement taken on site (the server keeps it once)
        item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
        url = "/incidents/" + encodeURIComponent(item.reference) + "/investigation/statements";
      } else {
        url = "/incidents/" + encodeURIComponent(item.reference) + "/photos";
      }
      item.photos.forEach(function (photo) { body.append("photos", photo.sha256); });
      return timedFetch(url, { method: "POST", body: body,
        headers: { "X-CSRFToken": token, Accept: "application/json" } }, 30000).then(function (response) {
        if (!response.ok) return refused(item, response, "");
        return response.json().then(function (answer) {
          item.reference = answer.reference || item.reference;
          item.state = "sent";
          item.error = null;
          item.fieldErrors = null;
          item.sentAt = new Date().toISOString();
          // The server has checked every photo against its SHA-256; the phone's copies can go.
          item.photos.forEach(function (photo) { photo.blob = null; });
          return save(item);
        });
      });
    }).catch(function (error) {
      return later(item, error instanceof LoginNeeded ? error.message
        : "No connection (" + (error && error.name === "AbortError" ? "timed out" : "offline") + "): it will be sent when there is signal.");
    });
  }

  function sendDue(now) {
    return all().then(function (items) {
      var due = items.filter(function (item) {
        return (item.state === "queued" || item.state === "sending") && (now || (item.nextAttemptAt || 0) <= Date.now());
      });
      if (!due.length) return;
      return sessionToken().then(function (token) {
        return due.reduce(function (chain, item) {
          return chain.then(function () { return sendOne(item, token); });
        }, Promise.resolve());
      }, function (error) {
        var message = error instanceof LoginNeeded ? error.message : "No connection: it will be sent when there is signal.";
        return Promise.all(due.map(function (item) { return later(item, message); }));
      });
    });
  }

  function flush(now) {
    // One flush at a time, across the pages and the service worker. `now`: ignore the retry timers
    // (the network has just come back, or the person asked).
    var locks = scope.navigator && scope.navigator.locks;
    if (locks) {
      return locks.request("outbox-flush", { ifAvailable: true }, function (lock) { return lock ? sendDue(now) : null; });
    }
    if (!flushing) flushing = sendDue(now).finally(function () { flushing = null; });
    return flushing;
  }

  function nextAttemptIn() {
    return all().then(function (items) {
      var times = items.filter(function (item) { return item.state === "queued"; })
        .map(function (item) { return Math.max(0, (item.nextAttemptAt || 0) - Date.now()); });
      return times.length ? Math.min.apply(null, times) : null;
    });
  }

  function sha256Hex(blob) {
    return blob.arrayBuffer().then(function (bytes) { return crypto.subtle.digest("SHA-256", bytes); })
      .then(function (digest) {
        return Array.prototype.map.call(new Uint8Array(digest), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      });
  }

  function photoProblem(file, count) {
    if (count > MAX_PHOTOS) return "At most " + MAX_PHOTOS + " photos per report.";
    if (file.size > MAX_PHOTO_BYTES) return file.name + " is " + (file.size / 1048576).toFixed(1) + " MB; photos can be at most 20 MB.";
    if (file.type && file.type.indexOf("image/") !== 0) return file.name + " is not a photo.";
    return null;
  }

  scope.Outbox = {
    SYNC_TAG: SYNC_TAG, MAX_PHOTOS: MAX_PHOTOS, save: save, get: get, all: all, remove: remove,
    waiting: waiting, flush: flush, nextAttemptIn: nextAttemptIn, sha256Hex: sha256Hex, photoProblem: photoProblem,
    channel: channel
  };
})(self);

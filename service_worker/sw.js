/* Field Incidents service worker. VERSION, PRECACHE and SHELL_PAGES are written above by /sw.js.
 *
 * Pages: network first (short timeout), then the cached copy, then the offline page.
 * Static files: from the cache, refreshed in the background (the shell's own files are versioned
 * with this worker, so they need no refresh). Only good responses are cached.
 * The report outbox (IndexedDB, static/js/outbox.js) is flushed on Background Sync and on request.
 */
/* global VERSION, PRECACHE, SHELL_PAGES, Outbox */
importScripts("/static/js/outbox.js");

const STATIC_CACHE = "static-" + VERSION;
const PAGES_CACHE = "pages-" + VERSION;
const NAVIGATION_TIMEOUT_MS = 3000;

function cacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

async function precachePages() {
  // Pages belong to whoever is logged in; if nobody is (a redirect to the login page), skip them.
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(SHELL_PAGES.map(async (url) => {
    try {
      const response = await fetch(url, { credentials: "same-origin", redirect: "follow" });
      if (cacheable(response)) await cache.put(url, response);
    } catch (error) { /* offline during install: the page is cached on its next visit */ }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(PRECACHE)).then(precachePages));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = [STATIC_CACHE, PAGES_CACHE];
    for (const name of await caches.keys()) {
      if (!keep.includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function isShellPage(url) {
  return SHELL_PAGES.includes(url.pathname);
}

// An incident and its investigation, once opened, can be read again with no signal (on site, in a
// plant room): each is kept as last seen.
const KEPT_PAGE = /^\/incidents\/INC-\d+(\/investigation)?$/;

function isKeptPage(url) {
  return isShellPage(url) || KEPT_PAGE.test(url.pathname);
}

async function fromNetworkFirst(request) {
  const url = new URL(request.url);
  const network = fetch(request).then(async (response) => {
    if (isKeptPage(url) && cacheable(response)) {
      const cache = await caches.open(PAGES_CACHE);
      await cache.put(url.pathname, response.clone());
    }
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NAVIGATION_TIMEOUT_MS, null));
  let response = null;
  try {
    response = await Promise.race([network, timeout]);
    if (response && response.status < 500) return response;
  } catch (error) { /* offline: fall through to the cache */ }
  const cached = await caches.match(url.pathname, { cacheName: PAGES_CACHE });
  if (cached) return cached;  // no answer in time, or the server is failing: the saved copy works
  if (response) return response;
  try {
    return await network;  // slow but not dead: keep waiting rather than show "offline"
  } catch (error) {
    return caches.match("/offline", { cacheName: STATIC_CACHE });
  }
}

async function fromCacheThenRefresh(event) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(event.request, { ignoreSearch: true });
  // Shell files are versioned with this worker (a change makes a new worker that precaches them
  // again), so their cached copy is current: no network at all on a warm load.
  if (cached && PRECACHE.includes(new URL(event.request.url).pathname)) return cached;
  const refresh = fetch(event.request).then(async (response) => {
    if (cacheable(response)) await cache.put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fromNetworkFirst(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromCacheThenRefresh(event));
  }
  // Everything else (API calls, htmx fragments) goes to the network as usual.
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "skip-waiting") self.skipWaiting();
  if (message.type === "forget-pages") event.waitUntil(caches.delete(PAGES_CACHE));
  if (message.type === "flush-outbox") event.waitUntil(Outbox.flush(true));
});

self.addEventListener("sync", (event) => {
  // The browser says the network is back: send now, whatever the retry timer said.
  if (event.tag === Outbox.SYNC_TAG) event.waitUntil(Outbox.flush(true));
});

/* ---- Alerts: push messages become notifications; "Acknowledge" works without opening the app. ----
 * A page's payload (webapp/notify/render.py) carries its id, a receipt token and a single-use
 * acknowledgement token. Each page id is shown once (a repeat delivery after a worker restart only
 * refreshes the notification silently); one tag per incident, so a later page replaces the last.
 * An acknowledgement that cannot reach the server waits in IndexedDB and is retried on Background
 * Sync, on the next push, and when a page of the app asks.
 */
const ALERTS_DB = "field-incidents-alerts";
const ACK_SYNC_TAG = "ack-flush";
const ICON = "/static/icons/icon-192.png";

function alertsDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(ALERTS_DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("acks", { keyPath: "token" });
      request.result.createObjectStore("seen", { keyPath: "page" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function alertsStore(name, mode, work) {
  const db = await alertsDatabase();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = work(tx.objectStore(name));
    tx.oncomplete = () => { db.close(); resolve(request ? request.result : undefined); };
    tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
  });
}

async function firstSighting(page) {
  // True the first time this page id arrives on this phone; older entries are trimmed as we go.
  if (!page) return true;
  const seen = await alertsStore("seen", "readonly", (store) => store.get(page));
  if (seen) return false;
  const weekAgo = Date.now() - 7 * 86400000;
  await alertsStore("seen", "readwrite", (store) => {
    store.put({ page, at: Date.now() });
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      if (cursor.value.at < weekAgo) cursor.delete();
      cursor.continue();
    };
  });
  return true;
}

function postJSON(url, body, milliseconds) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), milliseconds || 15000);
  return fetch(url, { method: "POST", credentials: "same-origin", signal: controller.signal,
    headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) })
    .finally(() => clearTimeout(timer));
}

function receipt(alert, state) {
  if (!alert.receipt) return Promise.resolve();
  return postJSON("/api/v1/push/receipts", { receipt: alert.receipt, state }).catch(() => undefined);
}

function actionsFor(alert) {
  if (alert.kind === "page" && alert.ack) {
    return [{ action: "ack", title: "Acknowledge" }, { action: "open", title: "Open" }];
  }
  return [{ action: "open", title: "Open" }];
}

async function showAlert(alert, fresh) {
  await self.registration.showNotification(alert.title, {
    body: alert.body, tag: alert.tag, renotify: fresh, requireInteraction: Boolean(alert.requireInteraction),
    icon: ICON, badge: ICON, timestamp: Date.now(), data: alert, actions: actionsFor(alert),
  });
}

async function handlePush(data) {
  let alert = null;
  try { alert = data ? data.json() : null; } catch (error) { alert = null; }
  if (!alert || !alert.title) {
    // Every push must show something; an unreadable one still tells the responder to look.
    await self.registration.showNotification("Field Incidents", { body: "New alert: open the app to see it.",
      tag: "unreadable", icon: ICON, data: { url: "/incidents" } });
    return;
  }
  flushAcks().catch(() => undefined);  // there is signal now: send any waiting acknowledgement
  const fresh = await firstSighting(alert.page);
  await showAlert(alert, fresh);
  if (fresh) await receipt(alert, "shown");
}

self.addEventListener("push", (event) => {
  event.waitUntil(handlePush(event.data));
});

async function tell(alert, body, extra) {
  // A follow-up on the same tag replaces the alert: the responder sees what became of their tap.
  await self.registration.showNotification(alert.reference || "Field Incidents", Object.assign({
    body, tag: alert.tag || "ack", icon: ICON, renotify: false, data: { url: alert.url || "/incidents" },
    actions: [{ action: "open", title: "Open" }],
  }, extra || {}));
}

async function sendAck(item) {
  let response;
  try {
    response = await postJSON("/api/v1/push/ack", { token: item.token });
  } catch (error) {
    response = null;  // no signal, or no answer in time
  }
  if (!response || response.status >= 500 || response.status === 408 || response.status === 429) {
    await alertsStore("acks", "readwrite", (store) => store.put(item));
    try { await self.registration.sync.register(ACK_SYNC_TAG); } catch (error) { /* no Background Sync */ }
    await tell(item, "Acknowledgement saved on this phone: it is sent as soon as there is signal.");
    return "queued";
  }
  await alertsStore("acks", "readwrite", (store) => store.delete(item.token));
  const answer = await response.json().catch(() => ({}));
  if (response.ok) {
    await tell(item, "Acknowledged. Escalation stopped for " + item.reference + ".");
    return "acknowledged";
  }
  await tell(item, "Not acknowledged: " + (answer.error || "the server refused (" + response.status + ")") +
    ". Open the incident to acknowledge it.", { requireInteraction: true });
  return "refused";
}

async function flushAcks() {
  const waiting = await alertsStore("acks", "readonly", (store) => store.getAll());
  for (const item of waiting || []) await sendAck(item);
}

async function openPage(url) {
  const target = new URL(url || "/incidents", self.location.origin);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).pathname === target.pathname) return client.focus();
  }
  if (windows.length && windows[0].navigate) {
    const client = await windows[0].navigate(target.href);
    if (client) return client.focus();
  }
  return self.clients.openWindow(target.href);
}

async function handleClick(notification, action) {
  const alert = notification.data || {};
  notification.close();
  if (action === "ack" && alert.ack) {
    return sendAck({ token: alert.ack, reference: alert.reference, tag: alert.tag, url: alert.url, at: Date.now() });
  }
  return openPage(alert.url);
}

self.addEventListener("notificationclick", (event) => {
  // Start the work before waitUntil: a synthetic event (as in the browser tests) refuses waitUntil.
  const work = handleClick(event.notification, event.action);
  event.waitUntil(work);
});

self.addEventListener("sync", (event) => {
  if (event.tag === ACK_SYNC_TAG) event.waitUntil(flushAcks());
});

self.addEventListener("message", (event) => {
  if ((event.data || {}).type === "flush-acks") event.waitUntil(flushAcks());
});

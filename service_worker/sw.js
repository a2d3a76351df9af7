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

async function fromNetworkFirst(request) {
  const url = new URL(request.url);
  const network = fetch(request).then(async (response) => {
    if (isShellPage(url) && cacheable(response)) {
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

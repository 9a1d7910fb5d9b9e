// Policy Kiosk service worker. Served from /sw.js (root scope) with the cache version below, which
// changes when any shipped file or the current policy changes.
/* global KioskOutbox */
"use strict";

const VERSION = {{ version | tojson }};
const PREFIX = "policy-kiosk-";
const CACHE = PREFIX + VERSION;
const PRECACHE = {{ precache | tojson }};
// The languages a public page may be asked for (?lang=), each precached.
const LANGUAGES = {{ languages | tojson }};
const NETWORK_TIMEOUT_MS = 3000;

importScripts({{ asset('js/outbox.js') | tojson }});

// Install: fetch the public shell afresh (not from the HTTP cache) and keep it under this version.
// Without cookies: what is cached must be what anyone would see, never a signed-in page.
self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload", credentials: "omit" })));
  })());
  // No skipWaiting here: a new version takes over only when a page says the screen is idle.
});

// Activate: delete the caches of older versions, and look after pages already open.
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (event.data && event.data.type === "CLAIM") {
    // A page that opened while we were activating asks to be looked after too.
    event.waitUntil(self.clients.claim());
  }
});

// Browsers with Background Sync wake us when the connection returns.
// Once everything is sent it also clears the count of waiting records that the pages keep in a
// cookie (where the browser lets a worker: Chromium's Cookie Store), so that a later clear-out of
// the browser's storage is not mistaken for records lost. As on the pages (storage.js), only from
// a database that still holds the device's id: one the browser wiped is empty too, and the
// cookie must keep counting what it lost until a page has noticed.
self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") {
    event.waitUntil(KioskOutbox.flush().then(async () => {
      const { device, entries } = await KioskOutbox.snapshot();
      if (self.cookieStore && device && entries.length === 0) {
        await self.cookieStore.delete("kiosk_waiting").catch(() => {});
      }
    }));
  }
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

async function fromCache(url) {
  const cache = await caches.open(CACHE);
  return cache.match(url);
}

// The pages this worker answered from its cache, by client id: see moduleImport. Kept only while
// the worker runs; the browser stops it when idle, long after a page has loaded its modules.
const pagesFromCache = new Set();

// Pages: the network first (never stored: it may be signed in), then the cached public shell.
async function navigate(event) {
  const request = event.request;
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    // A proxy's 502 or 503 while the app restarts: the cached page is more use.
    if (response.status >= 500) throw new Error(`server error ${response.status}`);
    return response;
  } catch (error) {
    if (event.resultingClientId) pagesFromCache.add(event.resultingClientId);
    const url = new URL(request.url);
    const exact = await fromCache(url.pathname + url.search);
    if (exact) return exact;
    const lang = LANGUAGES.includes(url.searchParams.get("lang")) ? url.searchParams.get("lang") : "";
    if (["/policy", "/accept", "/privacy"].includes(url.pathname)) {
      const channel = url.searchParams.get("channel") === "kiosk" ? "kiosk" : "phone";
      const page = `${url.pathname}?channel=${channel}`;
      return (lang && await fromCache(`${page}&lang=${lang}`)) || fromCache(page);
    }
    if (url.pathname === "/phone") {
      return (lang && await fromCache(`/policy?channel=phone&lang=${lang}`)) || fromCache("/policy?channel=phone");
    }
    if (url.pathname === "/" && lang) return (await fromCache(`/?lang=${lang}`)) || fromCache("/");
    // A member of staff's page (the iPad's actions, or a record): the offline staff screen.
    if (/^\/(staff|records)(\/|$)/.test(url.pathname)) return fromCache("/staff/offline");
    return (lang && await fromCache(`/offline?lang=${lang}`)) || fromCache("/offline");
  }
}

// Files we shipped: the cache first, the network for anything else. A URL carrying a version
// (?v=) must match exactly, so a newer page never gets an older file; one without (the icons a
// manifest names, say) may take this release's copy.
async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const versioned = new URL(request.url).searchParams.has("v");
  const cached = await cache.match(request.url, { ignoreSearch: !versioned });
  return cached || fetch(request);
}

// A module's imports of its neighbours (offline.js's "./status.js"), and kiosk.js, which the page
// loads by the same plain address, arrive without a ?v=, so the rule above cannot tell an older
// copy from the right one.
// They come from the release of the page that asks: a page answered from this cache gets this
// cache's copies; a page from the network may be newer than this worker (a new release waits
// until the screen is idle), so its modules come from the network too, and from this cache only
// when the network fails (a page whose id the browser does not give is treated so too).
async function moduleImport(event) {
  if (!pagesFromCache.has(event.clientId)) {
    try {
      const response = await withTimeout(fetch(event.request), NETWORK_TIMEOUT_MS);
      if (response.ok) return response;
    } catch (error) {
      // No network, or too slow: this release's copy.
    }
  }
  return cacheFirst(event.request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (url.pathname.startsWith("/static/js/") && !url.searchParams.has("v")) {
    event.respondWith(moduleImport(event));
  } else if (url.pathname.startsWith("/static/") || PRECACHE.includes(url.pathname + url.search)) {
    event.respondWith(cacheFirst(request));
  }
});

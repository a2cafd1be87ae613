// sw.js — offline use after the first visit.
// The build stamps VERSION (a hash of every file of the site) and the precache list. A new build
// changes this file, so the browser installs the new worker, which caches the new site under a new
// name and deletes the caches of older builds when it takes over.
//   - pages and models/index.json: network first, the cache when offline; a page's request starts
//     while this worker starts (navigation preload);
//   - everything else (versioned ?v= scripts, styles and wasm, models, icons): cache first.
// Responses go to the page at once; the copy into the cache is written meanwhile (waitUntil).
'use strict';

const VERSION = '__SERCE_VERSION__';
const CACHE = `serce-${VERSION}`;
const PRECACHE = "__SERCE_PRECACHE__";

let opened = null;
const openCache = () => opened || (opened = caches.open(CACHE));

// The precached files but the page and models/index.json, straight from the cache without waking
// this worker (Static Routing API, where the browser has it; elsewhere the fetch handler below does
// the same). A file missing from the cache goes to the network.
function addRoutes(ev) {
  if (typeof ev.addRoutes !== 'function') return Promise.resolve();
  const literal = (x) => x.replace(/[\\:*?+(){}]/g, '\\$&'); // URLPattern syntax, taken as plain text
  const rules = [];
  for (const u of PRECACHE) {
    const url = new URL(u, self.registration.scope);
    if (u === './' || u === 'index.html' || u === 'models/index.json') continue;
    rules.push({ condition: { urlPattern: { pathname: literal(url.pathname), search: literal(url.search.slice(1)) }, requestMethod: 'GET' },
      source: { cacheName: CACHE } });
  }
  return ev.addRoutes(rules).catch(() => { /* not supported as written: the fetch handler serves them */ });
}

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    const cache = await openCache();
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' })));
    await addRoutes(ev);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys())
      if (name.startsWith('serce-') && name !== CACHE) await caches.delete(name);
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable().catch(() => {});
    await self.clients.claim();
  })());
});

async function networkFirst(ev, req, preload) {
  const cache = await openCache();
  try {
    const res = (preload && (await preload)) || (await fetch(req));
    if (res.ok) ev.waitUntil(cache.put(req, res.clone()).catch(() => {}));
    return res;
  } catch (e) {
    const hit = (await cache.match(req)) || (await cache.match(req, { ignoreSearch: true }));
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(ev, req) {
  const cache = await openCache();
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && res.type === 'basic') ev.waitUntil(cache.put(req, res.clone()).catch(() => {}));
  return res;
}

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  if (!url.pathname.startsWith(scope.pathname)) return;
  const path = url.pathname.slice(scope.pathname.length);
  if (req.mode === 'navigate') {
    ev.respondWith(networkFirst(ev, req, ev.preloadResponse));
  } else if (path === '' || path === 'index.html' || path === 'models/index.json') {
    ev.respondWith(networkFirst(ev, req, null));
  } else {
    ev.respondWith(cacheFirst(ev, req));
  }
});

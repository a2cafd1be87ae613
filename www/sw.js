// sw.js — offline use after the first visit.
// The build stamps VERSION (a hash of every file of the site) and the precache list. A new build
// changes this file, so the browser installs the new worker, which caches the new site under a new
// name and deletes the caches of older builds when it takes over.
//   - pages and models/index.json: network first, the cache when offline;
//   - everything else (versioned ?v= scripts, styles and wasm, models, icons): cache first.
'use strict';

const VERSION = '__SERCE_VERSION__';
const CACHE = `serce-${VERSION}`;
const PRECACHE = "__SERCE_PRECACHE__";

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys())
      if (name.startsWith('serce-') && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function networkFirst(req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch (e) {
    const hit = (await cache.match(req)) || (await cache.match(req, { ignoreSearch: true }));
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
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
  if (req.mode === 'navigate' || path === '' || path === 'index.html' || path === 'models/index.json') {
    ev.respondWith(networkFirst(req));
  } else {
    ev.respondWith(cacheFirst(req));
  }
});

// boot.js — the page's first script: a small classic script in <head>, before the stylesheet, so it
// runs as soon as the head is read. It starts what takes longest, to run while the rest of the page
// loads (and while the page's main thread is busy laying it out): the worker, which at once downloads
// the model, fetches and compiles the WebAssembly and loads the model (see worker.js), and the request
// for models/index.json. app.js takes both over from window.__serceBoot; until then the worker's
// messages wait in a queue. No DOM here but the <meta name="serce-model"> hint above this script.
//
// The model the worker starts with: the hint (index.html names the site's default model, the same as
// models/index.json's "default"; a browser test holds them together), when the address asks for no
// model or for that one. For another model the page asks once it has read models/index.json.
'use strict';

(() => {
  // the build's version, from this script's own ?v= (the build stamps it into index.html)
  const src = document.currentScript && document.currentScript.src;
  const version = src ? new URL(src).searchParams.get('v') : null;
  const params = new URLSearchParams(location.search);
  // (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)
  const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
    65, 0, 253, 15, 253, 98, 11]);
  let simd = false;
  if (params.get('simd') !== '0') {
    try { simd = WebAssembly.validate(SIMD_PROBE); } catch (e) { simd = false; }
  }
  const hint = document.querySelector('meta[name="serce-model"]');
  const asked = params.get('model');
  const model = hint && hint.content && (asked === null || asked === hint.content) ? hint.content : null;

  // the worker's start-up settings go in its name (self.name there, from its first line on), not in its
  // address: the request, and so the cached file, stays worker.js?v=…
  const start = new URLSearchParams({ flavour: simd ? 'simd' : 'plain' });
  if (model) start.set('model', model);
  const worker = new Worker(version ? `worker.js?v=${version}` : 'worker.js', { name: String(start) });
  const queue = [];
  worker.onmessage = (ev) => queue.push(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    queue.push({ type: 'fatal', message: ev.message || 'worker error' });
  };

  const index = fetch('models/index.json', { cache: 'no-cache' }).then((res) => {
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  });
  index.catch(() => {}); // app.js reports it

  window.__serceBoot = { worker, queue, index, model };
})();

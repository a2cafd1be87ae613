// worker.js — owns the WebAssembly instance (serce-simd or serce-plain) and the loaded model.
// Downloads the site's models with progress, validates model files with the core loader and generates
// in small steps, yielding between batches so that a Stop message is handled at once. Only text and
// plain data go back to the page.
//
// Start-up runs in parallel and does not wait for the page: boot.js names this worker
// "flavour=simd&model=FILE" (self.name, there from the first line on; a message would come later, once
// the page's busy main thread got to it). As soon as this script runs it starts downloading FILE (the
// site's default model, when the page will want it) and fetches and compiles the .wasm (streaming);
// the site's build bundles the Emscripten glue into this file. Once the module is ready it loads that
// model (seq 1); every message that arrived meanwhile waits until then, in order, so a permalink's
// 'generate', sent by the page at once, runs right after. That model's description ('model') waits for the page's first word: posted
// after the first text of its 'generate', or at its 'describe' (a visit that writes nothing by itself).
// A model the page asks for later ('fetchModel') or hands over ('loadBytes') may also arrive before the
// module is ready and waits for it. The first batch of a run is one short step, so the first text
// shows at once. V8 compiles each wasm function on its first call: when the worker has to wait for the
// model's bytes, it loads a tiny model made here and writes two characters with it (warmUp), so that
// compiling is done before the real model comes.
//
// page -> worker: {type:'fetchModel', seq, url, file, name, size, run}   (a model of the site)
//                 {type:'loadBytes', seq, bytes, file, name, own, run}   (a file the page read)
//                    run: {id, prime, settings} as in 'generate', started as soon as the model is loaded
//                 {type:'generate', id, prime, settings, skipPrime, until}
//                    settings: the core's settings object (serce_gen_opts_from_json: seed, temperature, top_k,
//                    top_p, length, songs, form, lines_per_stanza, syllables, rhyme, repetition_penalty,
//                    avoid_copying, ...); skipPrime: hand out only the text after the prime (co-writing);
//                    until: 'line' ends the run at the first line break after some text (not included)
//                 {type:'describe'}   (post the start-up model's description now: no song comes first)
//                 {type:'stop', id}
//                 {type:'originality', id, text}
//                 {type:'suggest', id, prime, k, maxChars}
// worker -> page: {type:'ready', flavour} | {type:'fatal', message}
//                 {type:'progress', seq, loaded, total}   (downloading)
//                 {type:'model', seq, file, name, size, own, info} | {type:'loadError', seq, phase, file, message}
//                    (a run started with the model, or waiting for it, posts its first chunk before 'model')
//                 {type:'chunk', id, parts:[[text, kind]], chars, ms} | {type:'done', id, chars, ms, stopped, stats}
//                 {type:'genError', id, message}
//                 {type:'originality', id, result} (result null: the model has no index, see message)
//                 {type:'suggest', id, items:[[char, p, word, wordP]] or null, message}
'use strict';

const VERSION = '__SERCE_VERSION__';
const STEP_CHARS = 32;   // characters per call into wasm
const FIRST_CHARS = 2;   // generated characters in a run's first call (after the prime's text): shown at once
const BUDGET_MS = 24;    // generate this long, then post the text and yield
const BOOT = new URLSearchParams(self.name); // flavour, model: the worker's name (from boot.js)

let M = null;            // the Emscripten module
let waiting = 0;         // messages that arrived before start-up was over
let booted = false;      // start-up is over
let model = 0;           // model handle
let run = null;          // {id, g, stop}
let describeBoot = null; // posts the start-up model's description; waits for the page's first word

// yield to the event loop (a Stop message gets handled) without setTimeout's clamping
const channel = new MessageChannel();
const resumeQueue = [];
channel.port1.onmessage = () => { const f = resumeQueue.shift(); if (f) f(); };
const yieldNow = () => new Promise((resolve) => { resumeQueue.push(resolve); channel.port2.postMessage(0); });

const errorText = () => M.UTF8ToString(M._serce_wasm_error());
// start-up milestones on the worker's own timeline (performance marks 'serce:…', read by
// tools/bench_browser.mjs --ttfc-only); each is set once
const mark = (what) => {
  try { if (!performance.getEntriesByName(`serce:${what}`).length) performance.mark(`serce:${what}`); } catch (e) { /* no marks */ }
};

// ---------------------------------------------------------------- start-up
// fetch and compile the .wasm; streaming (compiling while the bytes arrive) when it is served as
// application/wasm, else from the whole buffer (a static host with another content type still works)
async function compileWasm(url) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${url.replace(/\?.*/, '')}: HTTP ${res.status}`);
  const type = res.headers.get('Content-Type') || '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.split(';')[0].trim() === 'application/wasm')
    return WebAssembly.compileStreaming(res);
  return WebAssembly.compile(await res.arrayBuffer());
}

async function startFlavour(flavour) {
  const compiled = compileWasm(`serce-${flavour}.wasm?v=${VERSION}`);
  compiled.catch(() => {}); // awaited below; an early failure is not an unhandled rejection
  const glue = () => (flavour === 'simd' ? self.SerceSimd : self.SercePlain);
  // the site's worker.js has the glue bundled in (wasm/assemble-site.mjs); www/worker.js on its own
  // imports it (blocking this thread while the wasm downloads and compiles)
  if (typeof glue() !== 'function') importScripts(`serce-${flavour}.js?v=${VERSION}`);
  const mod = await compiled;
  const factory = glue();
  let failed;
  const failure = new Promise((resolve, reject) => { failed = reject; });
  return Promise.race([failure, factory({
    // the glue instantiates the module compiled above instead of fetching the .wasm again
    instantiateWasm: (imports, receive) => {
      WebAssembly.instantiate(mod, imports).then((instance) => receive(instance, mod), failed);
      return {};
    },
    locateFile: (path, dir) => `${dir}${path}?v=${VERSION}`,
    print: () => {},
    printErr: () => {},
  })]);
}

// M, or the 'fatal' message; the plain build when the SIMD one does not start
async function init(simd) {
  const order = simd ? ['simd', 'plain'] : ['plain'];
  let lastErr = null;
  for (const flavour of order) {
    try {
      M = await startFlavour(flavour);
      mark('module');
      postMessage({ type: 'ready', flavour });
      return;
    } catch (e) {
      lastErr = e;
    }
  }
  postMessage({ type: 'fatal', message: String((lastErr && lastErr.message) || lastErr) });
}

async function boot() {
  const file = BOOT.get('model');
  let bytes = null, settled = false;
  const meta = { seq: 1, url: `models/${encodeURIComponent(file || '')}`, file, name: null, size: 0, boot: true };
  if (file) bytes = download(meta).catch((e) => e).finally(() => { settled = true; });
  await init(BOOT.get('flavour') === 'simd');
  if (!M) return;
  if (bytes && !settled) mark('warm-up');
  if (bytes ? !settled : !waiting) await warmUp(() => settled); // nothing to do until the model is here
  if (!bytes) return;
  const got = await bytes;
  if (got instanceof Error) postMessage({ type: 'loadError', seq: 1, phase: 'download', file, message: got.message });
  else loadBytes(1, got, meta);
}

// The smallest model of the site's layout (int8 matrices with a scale per row, as `serce export
// --int8` writes them): the four special tokens and "a", one unit, zero weights, scales 1.
function tinyModel() {
  const V = 5, E = 1, H = 1, G = 4 * H;
  const f32 = [['embedding.weight', [V, E]], ['lstm.bias_ih_l0', [G]], ['lstm.bias_hh_l0', [G]], ['head.bias', [V]],
    ['lstm.weight_ih_l0.scale', [G]], ['lstm.weight_hh_l0.scale', [G]], ['head.weight.scale', [V]]];
  const i8 = [['lstm.weight_ih_l0', [G, E]], ['lstm.weight_hh_l0', [G, H]], ['head.weight', [V, H]]];
  const header = { __metadata__: { 'serce.format': '1',
    'serce.config': JSON.stringify({ vocab: V, embed: E, hidden: H, layers: 1, lowercase: false }),
    'serce.vocab': JSON.stringify(['<unk>', '<s>', '</s>', '<t>', 'a']),
    'serce.special': '{"unk":0,"bos":1,"eos":2,"title":3}' } };
  let off = 0;
  const scales = [];
  for (const [name, shape] of f32) {
    const n = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + n] };
    if (name.endsWith('.scale')) scales.push([off, n / 4]);
    off += n;
  }
  for (const [name, shape] of i8) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'I8', shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = JSON.stringify(header); // ASCII only
  while ((8 + json.length) % 8) json += ' ';
  const bytes = new Uint8Array(8 + json.length + off);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, json.length, true); // u64 little-endian; the high half stays 0
  for (let i = 0; i < json.length; i++) bytes[8 + i] = json.charCodeAt(i);
  for (const [o, n] of scales) for (let i = 0; i < n; i++) view.setFloat32(8 + json.length + o + 4 * i, 1, true);
  return bytes;
}

// load, describe, start and step once with the tiny model, then free it: only for the compiling it
// causes. Any failure (a future file format, say) just means no warm-up. Between its calls it yields,
// so that the model's download, arriving meanwhile, is read at once (not after all of it), and it
// stops as soon as stop() says the model is here: what it did not compile yet, the model's own first
// calls compile.
async function warmUp(stop) {
  let h = 0, g = 0;
  const pause = async () => { await yieldNow(); return stop(); };
  try {
    const bytes = tinyModel();
    const p = M._malloc(bytes.length);
    if (!p) return;
    M.HEAPU8.set(bytes, p);
    h = M._serce_wasm_load(p, bytes.length);
    M._free(p);
    if (!h || (await pause())) return;
    M._serce_wasm_info(h);
    if (await pause()) return;
    g = withString('', (pp) => withString('{"seed":1,"length":4}', (sp) => M._serce_wasm_start_json(h, pp, sp)));
    if (!g || (await pause())) return;
    M.UTF8ToString(M._serce_wasm_step(g, 2));
    M._serce_wasm_kind(g);
    M._serce_wasm_done(g);
    M._serce_wasm_chars(g);
  } catch (e) {
    /* no warm-up */
  } finally {
    if (g) M._serce_wasm_free_gen(g);
    if (h) M._serce_wasm_free(h);
  }
}

// ---------------------------------------------------------------- models
function stopRun() {
  if (run) run.stop = true;
}

// the bytes of a model of the site, with progress messages
async function download(m) {
  const res = await fetch(m.url);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const total = Number(res.headers.get('Content-Length')) || m.size || 0;
  const chunks = [];
  let loaded = 0, last = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    const now = performance.now();
    if (now - last > 50) {
      last = now;
      postMessage({ type: 'progress', seq: m.seq, loaded, total });
    }
  }
  postMessage({ type: 'progress', seq: m.seq, loaded, total: loaded }); // downloaded: to be checked
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  if (m.boot) mark('model-bytes');
  return bytes;
}

async function fetchModel(m) {
  let bytes;
  try {
    bytes = await download(m);
  } catch (e) {
    postMessage({ type: 'loadError', seq: m.seq, phase: 'download', file: m.file, message: e.message });
    return;
  }
  await started;
  if (M) loadBytes(m.seq, bytes, m);
}

// Check and load a model file; it replaces the current model (when it is valid). meta.run: a song to
// start at once with it (a permalink). After a run's first text comes the model's description: right
// after starting meta.run, or, for the start-up model (meta.boot), after the first text of the next
// 'generate' or at 'describe', whichever the page sends first (describeBoot).
function loadBytes(seq, bytes, meta) {
  const n = bytes.length;
  const fail = (message) => postMessage({ type: 'loadError', seq, phase: 'load', file: meta.file, message });
  const p = M._malloc(n || 1);
  if (!p) return fail('out of memory');
  M.HEAPU8.set(bytes, p);
  mark('model-copied');
  const h = M._serce_wasm_load(p, n);
  M._free(p);
  if (!h) return fail(errorText());
  mark('model-loaded');
  const describe = () => {
    try { return JSON.parse(M.UTF8ToString(M._serce_wasm_info(h))); } catch (e) { return null; }
  };
  const post = (info) => postMessage({ type: 'model', seq, file: meta.file, name: meta.name, size: n, own: !!meta.own, info });
  const later = !!(meta.run || meta.boot);
  const info = later ? null : describe();
  if (!later && !info) {
    M._serce_wasm_free(h); // the previous model stays
    return fail('unreadable model description');
  }
  // the new model replaces the old one; a run on the old model ends here
  if (run) finishRun(run, true);
  if (model) M._serce_wasm_free(model);
  model = h;
  if (!later) return post(info);
  const describeNow = () => {
    if (model !== h) return; // replaced meanwhile
    const i = describe();
    if (i) return post(i);
    stopRun();
    if (run) finishRun(run, true);
    M._serce_wasm_free(h);
    model = 0;
    fail('unreadable model description');
  };
  if (meta.run) {
    generate(meta.run); // runs until its first text is posted, then goes on after this function
    describeNow();
  } else {
    describeBoot = describeNow;
  }
}

function describeStartModel() {
  const f = describeBoot;
  describeBoot = null;
  if (f) f();
}

function finishRun(r, stopped) {
  if (r.g) {
    const chars = M._serce_wasm_chars(r.g);
    let stats = null;
    try { stats = JSON.parse(M.UTF8ToString(M._serce_wasm_stats(r.g))); } catch (e) { stats = null; }
    M._serce_wasm_free_gen(r.g);
    r.g = 0;
    postMessage({ type: 'done', id: r.id, chars, ms: performance.now() - r.t0, stopped, stats });
  }
  if (run === r) run = null;
}

// a string into wasm memory for the duration of f(pointer)
function withString(s, f) {
  const n = M.lengthBytesUTF8(s) + 1;
  const p = M._malloc(n);
  if (!p) throw new Error('out of memory');
  M.stringToUTF8(s, p, n);
  try { return f(p); } finally { M._free(p); }
}

function start(prime, settings) {
  return withString(String(prime || ''), (pp) => withString(JSON.stringify(settings || {}), (sp) => M._serce_wasm_start_json(model, pp, sp)));
}

function originality(m) {
  if (!model) return postMessage({ type: 'originality', id: m.id, result: null, message: 'no model is loaded' });
  const json = withString(String(m.text || ''), (tp) => M.UTF8ToString(M._serce_wasm_originality(model, tp)));
  let result = null;
  try { result = JSON.parse(json); } catch (e) { result = null; }
  postMessage({ type: 'originality', id: m.id, result, message: result ? '' : errorText() });
}

// the likeliest next characters and words after the prime (co-writing): one short-lived generation
function suggest(m) {
  if (!model) return postMessage({ type: 'suggest', id: m.id, items: null, message: 'no model is loaded' });
  const g = start(m.prime, { songs: 1 });
  if (!g) return postMessage({ type: 'suggest', id: m.id, items: null, message: errorText() });
  let items = null;
  try { items = JSON.parse(M.UTF8ToString(M._serce_wasm_next_words(g, m.k || 8, m.maxChars || 24))); } catch (e) { items = null; }
  M._serce_wasm_free_gen(g);
  postMessage({ type: 'suggest', id: m.id, items, message: items ? '' : errorText() });
}

async function generate(m) {
  stopRun();
  if (run) finishRun(run, true);
  if (!model) {
    postMessage({ type: 'genError', id: m.id, message: 'no model is loaded' });
    return;
  }
  mark('generate');
  const g = start(m.prime, m.settings);
  if (!g) {
    postMessage({ type: 'genError', id: m.id, message: errorText() });
    describeStartModel(); // no first text will come
    return;
  }
  if (m.skipPrime) M._serce_wasm_skip_prime(g);
  const r = { id: m.id, g, stop: false, t0: performance.now(), until: m.until, seen: false };
  run = r;
  // the first batch is one short call (the prime's text and FIRST_CHARS more), posted at once
  let n = m.skipPrime ? FIRST_CHARS : [...String(m.prime || '')].length + FIRST_CHARS;
  for (let budget = 0; ; budget = BUDGET_MS) {
    const t1 = performance.now();
    const parts = [];
    let finished = false;
    do {
      let text = M.UTF8ToString(M._serce_wasm_step(r.g, n));
      n = STEP_CHARS;
      let kind = M._serce_wasm_kind(r.g);
      if (r.until === 'line' && kind >= 0) {
        // one line: stop at the first line break that follows some text of this run
        let cut = -1;
        for (let i = 0; i < text.length && cut < 0; i++) {
          if (text[i] !== '\n') r.seen = true;
          else if (r.seen) cut = i;
        }
        if (cut >= 0) {
          text = text.slice(0, cut);
          kind = 3;
          r.cut = true;
        }
      }
      if (kind < 0) {
        const message = errorText();
        M._serce_wasm_free_gen(r.g);
        r.g = 0;
        run = null;
        postMessage({ type: 'genError', id: r.id, message });
        describeStartModel(); // no first text will come
        return;
      }
      const lastPart = parts[parts.length - 1];
      if (lastPart && lastPart[1] === 0) {
        lastPart[0] += text;
        lastPart[1] = kind;
      } else if (text || kind) {
        parts.push([text, kind]);
      }
      finished = r.cut || M._serce_wasm_done(r.g) === 1;
    } while (!finished && performance.now() - t1 < budget);
    if (parts.length) {
      mark('first-text');
      postMessage({ type: 'chunk', id: r.id, parts, chars: M._serce_wasm_chars(r.g), ms: performance.now() - r.t0 });
    }
    describeStartModel(); // after the first text, if the start-up model still waits for it
    if (finished) {
      finishRun(r, false);
      return;
    }
    await yieldNow();
    if (r.stop || run !== r) {
      if (r.g) finishRun(r, true);
      return;
    }
  }
}

function handle(m) {
  if (!M) return; // the module did not start: the page has shown 'fatal'
  switch (m.type) {
    case 'loadBytes': loadBytes(m.seq, new Uint8Array(m.bytes), m); break;
    case 'generate': generate(m); break;
    case 'describe': describeStartModel(); break;
    case 'stop': if (run && (m.id === undefined || m.id === run.id)) run.stop = true; break;
    case 'originality': originality(m); break;
    case 'suggest': suggest(m); break;
    default: break;
  }
}

// settles when start-up is over: M ready (or 'fatal' posted) and the start-up model loaded or failed
const started = boot().catch(() => {}).finally(() => { booted = true; });

self.onmessage = (ev) => {
  const m = ev.data;
  if (!m || typeof m.type !== 'string') return;
  if (m.type === 'fetchModel') return void fetchModel(m); // downloads at once, loads after start-up
  // during start-up: wait for its end; these callbacks run in order and before any later message is
  // handled, so messages keep their order
  if (!booted) {
    waiting++;
    started.then(() => handle(m));
  } else {
    handle(m);
  }
};

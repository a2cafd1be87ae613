// worker.js — owns the WebAssembly instance (serce-simd or serce-plain) and the loaded model.
// Fetches models with progress, validates them with the core loader, and generates in small steps,
// yielding between batches so that a Stop message is handled at once. Only text and plain data go
// back to the page.
//
// page -> worker: {type:'init', simd}
//                 {type:'fetchModel', seq, url, file, name, size}
//                 {type:'loadBytes', seq, bytes, file, name, own}
//                 {type:'generate', id, prime, settings, skipPrime, until}
//                    settings: the core's settings object (serce_gen_opts_from_json: seed, temperature, top_k,
//                    top_p, length, songs, form, lines_per_stanza, syllables, rhyme, repetition_penalty,
//                    avoid_copying, ...); skipPrime: hand out only the text after the prime (co-writing);
//                    until: 'line' ends the run at the first line break after some text (not included)
//                 {type:'stop', id}
//                 {type:'originality', id, text}
//                 {type:'suggest', id, prime, k, maxChars}
// worker -> page: {type:'ready', flavour} | {type:'fatal', message}
//                 {type:'progress', seq, phase, loaded, total}
//                 {type:'model', seq, file, name, size, own, info} | {type:'loadError', seq, phase, message}
//                 {type:'chunk', id, parts:[[text, kind]], chars, ms} | {type:'done', id, chars, ms, stopped, stats}
//                 {type:'genError', id, message}
//                 {type:'originality', id, result} (result null: the model has no index, see message)
//                 {type:'suggest', id, items:[[char, p, word, wordP]] or null, message}
'use strict';

const VERSION = '__SERCE_VERSION__';
const STEP_CHARS = 32;   // characters per call into wasm
const BUDGET_MS = 24;    // generate this long, then post the text and yield

let M = null;            // the Emscripten module
let model = 0;           // model handle
let run = null;          // {id, g, stop}

// yield to the event loop (a Stop message gets handled) without setTimeout's clamping
const channel = new MessageChannel();
const resumeQueue = [];
channel.port1.onmessage = () => { const f = resumeQueue.shift(); if (f) f(); };
const yieldNow = () => new Promise((resolve) => { resumeQueue.push(resolve); channel.port2.postMessage(0); });

const errorText = () => M.UTF8ToString(M._serce_wasm_error());

async function init(simd) {
  const order = simd ? ['simd', 'plain'] : ['plain'];
  let lastErr = null;
  for (const flavour of order) {
    try {
      importScripts(`serce-${flavour}.js?v=${VERSION}`);
      const factory = flavour === 'simd' ? self.SerceSimd : self.SercePlain;
      M = await factory({
        locateFile: (path, dir) => `${dir}${path}?v=${VERSION}`,
        print: () => {},
        printErr: () => {},
      });
      postMessage({ type: 'ready', flavour });
      return;
    } catch (e) {
      lastErr = e;
    }
  }
  postMessage({ type: 'fatal', message: String((lastErr && lastErr.message) || lastErr) });
}

function stopRun() {
  if (run) run.stop = true;
}

function loadBytes(seq, bytes, meta) {
  const n = bytes.length;
  const p = M._malloc(n || 1);
  if (!p) {
    postMessage({ type: 'loadError', seq, phase: 'load', file: meta.file, message: 'out of memory' });
    return;
  }
  M.HEAPU8.set(bytes, p);
  const h = M._serce_wasm_load(p, n);
  M._free(p);
  if (!h) {
    postMessage({ type: 'loadError', seq, phase: 'load', file: meta.file, message: errorText() });
    return;
  }
  let info;
  try {
    info = JSON.parse(M.UTF8ToString(M._serce_wasm_info(h)));
  } catch (e) {
    M._serce_wasm_free(h);
    postMessage({ type: 'loadError', seq, phase: 'load', file: meta.file, message: `unreadable model description (${e.message})` });
    return;
  }
  // the new model replaces the old one; a run on the old model ends here
  if (run) {
    finishRun(run, true);
  }
  if (model) M._serce_wasm_free(model);
  model = h;
  postMessage({ type: 'model', seq, file: meta.file, name: meta.name, size: n, own: !!meta.own, info });
}

async function fetchModel(m) {
  let res;
  try {
    res = await fetch(m.url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (e) {
    postMessage({ type: 'loadError', seq: m.seq, phase: 'download', message: e.message });
    return;
  }
  const total = Number(res.headers.get('Content-Length')) || m.size || 0;
  const chunks = [];
  let loaded = 0, last = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        postMessage({ type: 'progress', seq: m.seq, phase: 'download', loaded, total });
      }
    }
  } catch (e) {
    postMessage({ type: 'loadError', seq: m.seq, phase: 'download', message: e.message });
    return;
  }
  postMessage({ type: 'progress', seq: m.seq, phase: 'check', loaded, total: loaded });
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  loadBytes(m.seq, bytes, m);
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
  const g = start(m.prime, m.settings);
  if (!g) {
    postMessage({ type: 'genError', id: m.id, message: errorText() });
    return;
  }
  if (m.skipPrime) M._serce_wasm_skip_prime(g);
  const r = { id: m.id, g, stop: false, t0: performance.now(), until: m.until, seen: false };
  run = r;
  for (;;) {
    const t1 = performance.now();
    const parts = [];
    let finished = false;
    do {
      let text = M.UTF8ToString(M._serce_wasm_step(r.g, STEP_CHARS));
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
    } while (!finished && performance.now() - t1 < BUDGET_MS);
    if (parts.length)
      postMessage({ type: 'chunk', id: r.id, parts, chars: M._serce_wasm_chars(r.g), ms: performance.now() - r.t0 });
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

self.onmessage = (ev) => {
  const m = ev.data;
  if (!m || typeof m.type !== 'string') return;
  if (m.type === 'init') {
    init(!!m.simd);
    return;
  }
  if (!M) return;
  switch (m.type) {
    case 'fetchModel': fetchModel(m); break;
    case 'loadBytes': loadBytes(m.seq, new Uint8Array(m.bytes), m); break;
    case 'generate': generate(m); break;
    case 'stop': if (run && (m.id === undefined || m.id === run.id)) run.stop = true; break;
    case 'originality': originality(m); break;
    case 'suggest': suggest(m); break;
    default: break;
  }
};

// page.js — the browser benchmark's page: one Web Worker per engine, driven one at a time from
// Node (tools/bench_browser.mjs) through window.bench, so that engines never run at the same time.
const workers = {}; // engine -> {w, pending: Map}
let seq = 0;

function call(engine, msg) {
  const e = workers[engine];
  const id = ++seq;
  return new Promise((resolve, reject) => {
    e.pending.set(id, { resolve, reject });
    e.w.postMessage({ ...msg, id });
  });
}

function start(engine, spec) {
  const w = new Worker(spec.worker, spec.module ? { type: 'module' } : undefined);
  const e = { w, pending: new Map() };
  w.onmessage = (ev) => {
    const p = e.pending.get(ev.data.id);
    if (!p) return;
    e.pending.delete(ev.data.id);
    if (ev.data.ok) p.resolve(ev.data);
    else p.reject(new Error(`${engine}: ${ev.data.error}`));
  };
  w.onerror = (ev) => {
    for (const p of e.pending.values()) p.reject(new Error(`${engine}: ${ev.message}`));
    e.pending.clear();
  };
  workers[engine] = e;
  return call(engine, { type: 'init', ...spec.init });
}

window.bench = {
  start,
  load: (engine, msg) => call(engine, { type: 'load', ...msg }),
  run: (engine, msg) => call(engine, { type: 'run', ...msg }),
  check: (engine, msg) => call(engine, { type: 'check', ...msg }),
  time: (engine, msg) => call(engine, { type: 'time', ...msg }),
  info: () => ({ userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency }),
};
document.getElementById('status').textContent = 'ready';

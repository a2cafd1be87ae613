// worker-ort.js — onnxruntime-web (wasm backend, 1 thread, SIMD build) in a module Web Worker.
// The model is one step exported by torch.onnx.export: (token[1,1] int64, h[L,1,H], c[L,1,H]) ->
// (logits[1,V], h_out, c_out). One session.run per character; the argmax over the non-special
// tokens is fed back and the state outputs become the next inputs.
import * as ort from './ort/ort.wasm.min.mjs';

const sessions = {}; // shape -> {s, L, H, V, tok, h, c}
const now = () => performance.now();

function zeroState(e) {
  e.h = new ort.Tensor('float32', new Float32Array(e.L * e.H), [e.L, 1, e.H]);
  e.c = new ort.Tensor('float32', new Float32Array(e.L * e.H), [e.L, 1, e.H]);
}

function argmax(z, V) {
  let a = 4;
  for (let v = 5; v < V; v++) if (z[v] > z[a]) a = v;
  return a;
}

async function step(e, tok) {
  const token = new ort.Tensor('int64', BigInt64Array.of(BigInt(tok)), [1, 1]);
  const out = await e.s.run({ token, h: e.h, c: e.c });
  e.h = out.h_out;
  e.c = out.c_out;
  return out.logits.data;
}

async function init(m) {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = m.wasmPaths;
  ort.env.logLevel = 'error';
  return { version: ort.env.versions && ort.env.versions.web, crossOriginIsolated: self.crossOriginIsolated };
}

async function load(m) {
  const bytes = new Uint8Array(await (await fetch(m.url)).arrayBuffer());
  const s = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const e = { s, L: m.L, H: m.H, V: m.V, tok: 4 };
  zeroState(e);
  sessions[m.shape] = e;
  return { kernel: `ort ${ort.env.versions && ort.env.versions.web} wasm`, bytes: bytes.length, numThreads: ort.env.wasm.numThreads };
}

async function runFor(e, ms) {
  const t0 = now();
  let chars = 0, el = 0;
  do {
    for (let i = 0; i < 16; i++) e.tok = argmax(await step(e, e.tok), e.V);
    chars += 16;
    el = now() - t0;
  } while (el < ms);
  return { chars, ms: el, calls: chars };
}

async function run(m) {
  const e = sessions[m.shape];
  await runFor(e, m.warmup * 1000);
  return runFor(e, m.seconds * 1000);
}

async function check(m) {
  const e = sessions[m.shape], ref = m.ref, V = ref.V;
  const saved = [e.h, e.c];
  zeroState(e);
  let maxDiff = 0, argmaxSame = 0;
  for (let i = 0; i < ref.forced.length; i++) {
    const z = await step(e, ref.forced[i]), r = ref.forced_logits[i];
    for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(z[v] - r[v]));
    if (argmax(z, V) === argmax(r, V)) argmaxSame++;
  }
  zeroState(e);
  const seq = [];
  let tok = ref.start;
  for (let i = 0; i < ref.greedy.length; i++) {
    tok = argmax(await step(e, tok), V);
    seq.push(tok);
  }
  [e.h, e.c] = saved;
  return { checked: true, maxDiff, argmaxSame, steps: ref.forced.length, greedy: seq };
}

self.onmessage = async (ev) => {
  const m = ev.data;
  try {
    let out;
    if (m.type === 'init') out = await init(m);
    else if (m.type === 'load') out = await load(m);
    else if (m.type === 'run') out = await run(m);
    else if (m.type === 'check') out = await check(m);
    postMessage({ id: m.id, ok: true, ...out });
  } catch (e) {
    postMessage({ id: m.id, ok: false, error: String((e && e.stack) || e) });
  }
};

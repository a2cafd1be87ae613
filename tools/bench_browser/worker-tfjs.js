// worker-tfjs.js — TensorFlow.js with the wasm backend (1 thread, SIMD) in a Web Worker.
// The model, from the same weights as the others (make_models.py writes them in this layout):
// tf.gather(embedding) -> per layer tf.basicLSTMCell (kernel [in+H, 4H], gates i, g, f, o, forget
// bias 0; the same cell tf.multiRNNCell stacks) -> tf.matMul + bias. One step per character inside
// tf.tidy, the state tensors kept across steps, the logits read with dataSync and the argmax over the
// non-special tokens fed back.
'use strict';

let tf = null;
const models = {}; // shape -> {E, H, L, V, emb, kernel[], bias[], headW, headB, forget, tok, h[], c[]}
const now = () => performance.now();

function argmax(z, V) {
  let a = 4;
  for (let v = 5; v < V; v++) if (z[v] > z[a]) a = v;
  return a;
}

function zeroState(e) {
  for (const t of [...(e.h || []), ...(e.c || [])]) t.dispose();
  e.h = [], e.c = [];
  for (let l = 0; l < e.L; l++) {
    e.h.push(tf.zeros([1, e.H]));
    e.c.push(tf.zeros([1, e.H]));
  }
}

function step(e, tok) {
  const out = tf.tidy(() => {
    let x = tf.gather(e.emb, tf.tensor1d([tok], 'int32')); // [1, E]
    const c = [], h = [];
    for (let l = 0; l < e.L; l++) {
      const [c2, h2] = tf.basicLSTMCell(e.forget, e.kernel[l], e.bias[l], x, e.c[l], e.h[l]);
      c.push(c2), h.push(h2);
      x = h2;
    }
    return [tf.add(tf.matMul(x, e.headW), e.headB), ...c, ...h];
  });
  const z = out[0].dataSync();
  out[0].dispose();
  for (const t of [...e.c, ...e.h]) t.dispose();
  e.c = out.slice(1, 1 + e.L);
  e.h = out.slice(1 + e.L);
  return z;
}

async function init(m) {
  importScripts(m.tf, m.backend);
  tf = self.tf;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one thread, as the others
  tf.wasm.setWasmPaths(m.wasmPaths);
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend did not start');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { version: tf.version.tfjs, backend: tf.getBackend(), simd, crossOriginIsolated: self.crossOriginIsolated };
}

async function load(m) {
  const info = await (await fetch(m.url + '.json')).json();
  const buf = await (await fetch(m.url + '.bin')).arrayBuffer();
  const t = {};
  for (const d of info.tensors) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    t[d.name] = tf.tensor(new Float32Array(buf, d.offset, n), d.shape);
  }
  const e = {
    E: info.E, H: info.H, L: info.L, V: info.V, emb: t.embedding, headW: t.head_w, headB: t.head_b,
    kernel: [], bias: [], forget: tf.scalar(0), tok: 4,
  };
  for (let l = 0; l < e.L; l++) e.kernel.push(t[`kernel${l}`]), e.bias.push(t[`bias${l}`]);
  zeroState(e);
  models[m.shape] = e;
  return { kernel: `tfjs ${tf.version.tfjs} ${tf.getBackend()}`, bytes: buf.byteLength };
}

function runFor(e, ms) {
  const t0 = now();
  let chars = 0, el = 0;
  do {
    for (let i = 0; i < 16; i++) e.tok = argmax(step(e, e.tok), e.V);
    chars += 16;
    el = now() - t0;
  } while (el < ms);
  return { chars, ms: el, calls: chars, tensors: tf.memory().numTensors };
}

function run(m) {
  const e = models[m.shape];
  runFor(e, m.warmup * 1000);
  return runFor(e, m.seconds * 1000);
}

function check(m) {
  const e = models[m.shape], ref = m.ref, V = ref.V;
  const saved = { h: e.h.map((x) => x.clone()), c: e.c.map((x) => x.clone()) };
  zeroState(e);
  let maxDiff = 0, argmaxSame = 0;
  ref.forced.forEach((tok, i) => {
    const z = step(e, tok), r = ref.forced_logits[i];
    for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(z[v] - r[v]));
    if (argmax(z, V) === argmax(r, V)) argmaxSame++;
  });
  zeroState(e);
  const seq = [];
  let tok = ref.start;
  for (let i = 0; i < ref.greedy.length; i++) {
    tok = argmax(step(e, tok), V);
    seq.push(tok);
  }
  for (const x of [...e.h, ...e.c]) x.dispose();
  e.h = saved.h, e.c = saved.c;
  return { checked: true, maxDiff, argmaxSame, steps: ref.forced.length, greedy: seq };
}

self.onmessage = async (ev) => {
  const m = ev.data;
  try {
    let out;
    if (m.type === 'init') out = await init(m);
    else if (m.type === 'load') out = await load(m);
    else if (m.type === 'run') out = run(m);
    else if (m.type === 'check') out = check(m);
    postMessage({ id: m.id, ok: true, ...out });
  } catch (e) {
    postMessage({ id: m.id, ok: false, error: String((e && e.stack) || e) });
  }
};

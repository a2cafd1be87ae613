// wasm.test.mjs — both WebAssembly flavours against the native build:
//  - the same logits, bit for bit (and so within 1e-5 relative error), step by step;
//  - the same chunks and chunk kinds as the native run of wasm/api.c (tests/web/probe.c);
//  - the same text, byte for byte, as `serce sample` (greedy and sampled, several seeds, primes with
//    a title line, songs and length limits);
//  - the same error messages for a bad prime and a broken model file;
//  - the simd flavour runs the simd128 kernel, the plain one the reference kernel.
// Run by tests/web/run.mjs (CTest web_wasm); node's built-in test runner.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { asCliOutput, cliSample, probe, readBytes, SITE, trainTestModel, WASM_DIR } from './common.mjs';

const require = createRequire(import.meta.url);

async function loadFlavour(flavour) {
  const factory = require(join(WASM_DIR, `serce-${flavour}.js`));
  // wasmBinary: no fetch of the .wasm (Node's built-in fetch cannot read files)
  return factory({ wasmBinary: readFileSync(join(WASM_DIR, `serce-${flavour}.wasm`)), print: () => {}, printErr: () => {} });
}

// the wasm side of tests/web/probe.c: the same calls, the same JSON shape
function wasmRun(M, bytes, s, chunk, maxLogitSteps = 1000000) {
  const str = (p) => M.UTF8ToString(p);
  const p = M._malloc(bytes.length);
  M.HEAPU8.set(bytes, p);
  const h = M._serce_wasm_load(p, bytes.length);
  M._free(p);
  if (!h) return { error: str(M._serce_wasm_error()) };
  const V = M._serce_wasm_vocab_size(h);
  const prime = s.prime || '';
  const n = M.lengthBytesUTF8(prime) + 1;
  const pp = M._malloc(n);
  M.stringToUTF8(prime, pp, n);
  const g = M._serce_wasm_start(h, pp, s.seed, s.temperature, s.top_k, s.top_p, s.length || 0, s.songs || 0);
  M._free(pp);
  if (!g) {
    const error = str(M._serce_wasm_error());
    M._serce_wasm_free(h);
    return { error };
  }
  const logits = () => Buffer.from(M.HEAPU8.buffer, M._serce_wasm_logits(g), V * 4).toString('hex');
  const out = { info: JSON.parse(str(M._serce_wasm_info(h))), start_logits: logits(), topk: JSON.parse(str(M._serce_wasm_topk(g, 5))), chunks: [] };
  for (let i = 0; !M._serce_wasm_done(g); i++) {
    const c = { text: str(M._serce_wasm_step(g, chunk)), kind: M._serce_wasm_kind(g) };
    if (i < maxLogitSteps) c.logits = logits();
    out.chunks.push(c);
    if (i > 1000000) break;
  }
  out.chars = M._serce_wasm_chars(g);
  M._serce_wasm_free_gen(g);
  M._serce_wasm_free(h);
  return out;
}

const textOf = (run) => run.chunks.map((c) => c.text).join('');

function floats(hex) {
  const b = Buffer.from(hex, 'hex');
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

function maxRelError(hexA, hexB) {
  const a = floats(hexA), b = floats(hexB);
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-6, Math.abs(b[i])));
  return worst;
}

const CASES = [
  { name: 'greedy, no prime, one song', prime: '', seed: 1, temperature: 0, top_k: 0, top_p: 0.95, songs: 1 },
  { name: 'greedy, prime, 400 characters', prime: 'Gece yarısı', seed: 1, temperature: 0, top_k: 0, top_p: 0.95, length: 400 },
  { name: 'seed 1', prime: '', seed: 1, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 2 },
  { name: 'seed 2, title line in the prime', prime: 'Sabah Kuşu\nPencereme', seed: 2, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 1 },
  { name: 'seed 3, hot, top-k', prime: 'Şarkım İstanbul', seed: 3, temperature: 1.3, top_k: 8, top_p: 1, length: 700 },
  { name: 'seed above 2^32, top-p', prime: 'Ben', seed: 12345678901234, temperature: 0.9, top_k: 0, top_p: 0.8, songs: 3 },
  { name: 'seed 2^53', prime: 'Yağmur', seed: 9007199254740992, temperature: 0.7, top_k: 20, top_p: 0.9, length: 300 },
];

for (const flavour of ['simd', 'plain']) {
  describe(`wasm ${flavour}`, () => {
    let M, tm, bytes;
    before(async () => {
      M = await loadFlavour(flavour);
      tm = trainTestModel();
      bytes = readBytes(tm.model);
    });
    after(() => tm && tm.cleanup());

    test('reports its kernel and describes the model like the native build', () => {
      const w = wasmRun(M, bytes, CASES[0], 16, 0);
      const n = probe(tm.model, CASES[0], 16, 0);
      assert.equal(w.info.kernels.matvec, flavour === 'simd' ? 'simd128' : 'ref');
      assert.equal(w.info.kernels.gemm, 'ref');
      const strip = (i) => ({ ...i, kernels: null });
      assert.deepEqual(strip(w.info), strip(n.info));
      assert.equal(w.info.config.hidden, 40);
      assert.equal(w.info.config.layers, 2);
      assert.equal(w.info.training.corpus, 'serce-ornek.txt');
      assert.ok(Array.isArray(w.info.training.curve) && w.info.training.curve.length > 0);
      assert.deepEqual(w.topk, n.topk);
    });

    test('logits are bit-identical to native at every step (one character per step)', () => {
      for (const c of [CASES[1], CASES[3], CASES[4]]) {
        const w = wasmRun(M, bytes, c, 1, 400);
        const n = probe(tm.model, c, 1, 400);
        assert.equal(maxRelError(w.start_logits, n.start_logits), 0);
        assert.equal(w.chunks.length, n.chunks.length, c.name);
        let worst = 0;
        for (let i = 0; i < w.chunks.length; i++) if (n.chunks[i].logits) worst = Math.max(worst, maxRelError(w.chunks[i].logits, n.chunks[i].logits));
        assert.ok(worst <= 1e-5, `${c.name}: relative error ${worst}`);
        assert.deepEqual(w, { ...n, info: w.info }, `${c.name}: chunks, kinds and logits differ`);
      }
    });

    for (const c of CASES) {
      test(`text is byte-identical to serce sample: ${c.name}`, () => {
        const w = wasmRun(M, bytes, c, 16, 0);
        const n = probe(tm.model, c, 16, 0);
        assert.deepEqual(w.chunks, n.chunks, 'chunks and kinds match the native api');
        const cli = cliSample(tm.model, c);
        assert.equal(cli.status, 0, cli.stderr);
        assert.ok(textOf(w).length > 0);
        assert.equal(asCliOutput(textOf(w)), cli.stdout);
        if (c.prime) assert.ok(textOf(w).startsWith(c.prime.split('\n')[0]));
      });
    }

    test('chunk kinds mark title ends and song ends', () => {
      const c = { prime: 'Sabah Kuşu\nPencereme', seed: 4, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 3 };
      const w = wasmRun(M, bytes, c, 64, 0);
      assert.equal(w.chunks[0].text, 'Sabah Kuşu\n\n');
      assert.equal(w.chunks[0].kind, 1);
      assert.equal(w.chunks[w.chunks.length - 1].kind, 3);
      for (const ch of w.chunks) {
        if (ch.kind === 1 || ch.kind === 2) assert.ok(ch.text.endsWith('\n\n'), JSON.stringify(ch));
        assert.ok(ch.text.length <= 64 * 4 + 32);
      }
      assert.equal(w.chunks.filter((ch) => ch.kind === 2).length, 2, 'two songs end before the last');
    });

    test('the same run in different chunk sizes gives the same text', () => {
      const c = CASES[5];
      const a = textOf(wasmRun(M, bytes, c, 1, 0)), b = textOf(wasmRun(M, bytes, c, 64, 0)), d = textOf(wasmRun(M, bytes, c, 4096, 0));
      assert.equal(a, b);
      assert.equal(a, d);
    });

    test('a prime with unknown characters fails with the CLI message', () => {
      const c = { prime: 'Quixote', seed: 1, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 1 };
      const w = wasmRun(M, bytes, c, 16, 0);
      assert.ok(w.error && /Q/.test(w.error), w.error);
      const cli = cliSample(tm.model, c);
      assert.notEqual(cli.status, 0);
      assert.equal(cli.stderr.trim(), `serce: ${w.error}`);
    });

    test('bad settings and bad handles fail cleanly', () => {
      for (const c of [{ temperature: -1 }, { top_p: 0 }, { seed: -1 }, { seed: 1.5 }, { songs: 0, length: 0 }]) {
        const s = { prime: '', seed: 1, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 1, ...c };
        const w = wasmRun(M, bytes, s, 16, 0);
        assert.ok(w.error && w.error.length > 5, JSON.stringify(c));
      }
      assert.equal(M._serce_wasm_start(99, 0, 1, 0.8, 0, 0.95, 0, 1), 0);
      assert.match(M.UTF8ToString(M._serce_wasm_error()), /no model/);
      assert.equal(M._serce_wasm_done(77), 1);
      M._serce_wasm_free_gen(77);
      M._serce_wasm_free(77);
    });

    test('broken model files are refused with the native loader message', () => {
      const broken = [
        bytes.slice(0, 7),                                   // shorter than the header length
        bytes.slice(0, Math.floor(bytes.length / 2)),        // truncated data
        (() => { const b = bytes.slice(); b[8] = 0x5b; return b; })(), // header no longer JSON
        new TextEncoder().encode('not a model at all, just some text that is long enough'),
      ];
      for (const b of broken) {
        const w = wasmRun(M, b, CASES[0], 16, 0);
        assert.ok(w.error, 'refused');
        assert.ok(!w.error.includes('\n'), 'one line');
      }
      // the same message natively
      const fs = require('node:fs');
      const bad = join(tm.dir, 'bad.safetensors');
      fs.writeFileSync(bad, broken[1]);
      assert.equal(wasmRun(M, broken[1], CASES[0], 16, 0).error, probe(bad, CASES[0], 16, 0).error);
      // and the module still works afterwards
      assert.ok(textOf(wasmRun(M, bytes, CASES[1], 16, 0)).length > 0);
    });

    test('memory does not grow over many load/generate/free cycles', () => {
      const size0 = M.HEAPU8.length;
      for (let i = 0; i < 30; i++) wasmRun(M, bytes, { ...CASES[1], length: 50 }, 16, 0);
      assert.ok(M.HEAPU8.length <= Math.max(size0, 64 << 20));
      const before2 = M.HEAPU8.length;
      for (let i = 0; i < 30; i++) wasmRun(M, bytes, { ...CASES[1], length: 50 }, 16, 0);
      assert.equal(M.HEAPU8.length, before2);
    });

    test('every site model (float32 and int8) generates the same text as serce sample', () => {
      let index;
      try { index = JSON.parse(readFileSync(join(SITE, 'models', 'index.json'), 'utf8')); } catch (e) { return; } // the site is optional here
      for (const { file } of index.models) {
        const site = join(SITE, 'models', file);
        const siteBytes = readBytes(site);
        const c = { prime: 'Gece', seed: 7, temperature: 0.8, top_k: 0, top_p: 0.95, length: 400 };
        const w = wasmRun(M, siteBytes, c, 32, 0);
        const cli = cliSample(site, c);
        assert.equal(cli.status, 0, cli.stderr);
        assert.equal(asCliOutput(textOf(w)), cli.stdout, file);
      }
    });
  });
}

test('both flavours agree with each other', async () => {
  const [S, P] = await Promise.all([loadFlavour('simd'), loadFlavour('plain')]);
  const tm = trainTestModel();
  try {
    const bytes = readBytes(tm.model);
    for (const c of CASES) assert.deepEqual(wasmRun(S, bytes, c, 1, 200).chunks, wasmRun(P, bytes, c, 1, 200).chunks, c.name);
  } finally {
    tm.cleanup();
  }
});

// wasm.test.mjs — both WebAssembly flavours against the native build:
//  - the same logits, bit for bit (and so within 1e-5 relative error), step by step;
//  - the same chunks and chunk kinds as the native run of wasm/api.c (tests/web/probe.c);
//  - the same text, byte for byte, as `serce sample` (greedy and sampled, several seeds, primes with
//    a title line, songs and length limits);
//  - the same error messages for a bad prime and a broken model file;
//  - serce_wasm_start_json with song form, metre, rhyme and the character controls: the same text as
//    `serce sample` with the same flags and with --settings, the same report (stats) as natively;
//    skip_prime, next_words (as natively), originality spans in UTF-16 offsets (as natively, and as the
//    CLI's --originality listing) on a test model exported with the index of its own text;
//  - the same for an int8 export of the test model (logits bit for bit, text byte for byte);
//  - the simd flavour runs the simd128 kernel, the plain one the reference kernel.
// Run by tests/web/run.mjs (CTest web_wasm); node's built-in test runner.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';

import {
  asCliOutput, CLI, cliSample, cliSampleSettings, probe, probeJson, probeNextWords, probeOriginality, readBytes, SITE, songFlags, TEXT,
  trainTestModel, WASM_DIR,
} from './common.mjs';

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

// strings in and out of wasm memory
function withStrings(M, strs, f) {
  const ptrs = strs.map((s) => {
    const n = M.lengthBytesUTF8(s) + 1;
    const p = M._malloc(n);
    M.stringToUTF8(s, p, n);
    return p;
  });
  try { return f(...ptrs); } finally { for (const p of ptrs) M._free(p); }
}
function loadModel(M, bytes) {
  const p = M._malloc(bytes.length);
  M.HEAPU8.set(bytes, p);
  const h = M._serce_wasm_load(p, bytes.length);
  M._free(p);
  return h;
}

// the wasm side of `probe --json`: serce_wasm_start_json, step, stats
function wasmRunJson(M, bytes, prime, settings, chunk, { skipPrime = false, maxChunks = 1000000 } = {}) {
  const str = (p) => M.UTF8ToString(p);
  const h = loadModel(M, bytes);
  if (!h) return { error: str(M._serce_wasm_error()) };
  const g = withStrings(M, [prime || '', typeof settings === 'string' ? settings : JSON.stringify(settings)],
    (pp, sp) => M._serce_wasm_start_json(h, pp, sp));
  if (!g) {
    const error = str(M._serce_wasm_error());
    M._serce_wasm_free(h);
    return { error };
  }
  if (skipPrime) M._serce_wasm_skip_prime(g);
  const out = { info: JSON.parse(str(M._serce_wasm_info(h))), chunks: [] };
  for (let i = 0; !M._serce_wasm_done(g) && i < maxChunks; i++) out.chunks.push({ text: str(M._serce_wasm_step(g, chunk)), kind: M._serce_wasm_kind(g) });
  out.chars = M._serce_wasm_chars(g);
  out.stats = JSON.parse(str(M._serce_wasm_stats(g)));
  M._serce_wasm_free_gen(g);
  M._serce_wasm_free(h);
  return out;
}

function wasmOriginality(M, bytes, text) {
  const h = loadModel(M, bytes);
  const json = withStrings(M, [text], (tp) => M.UTF8ToString(M._serce_wasm_originality(h, tp)));
  const error = M.UTF8ToString(M._serce_wasm_error());
  M._serce_wasm_free(h);
  return { result: JSON.parse(json), error };
}

function wasmNextWords(M, bytes, prime, k, max) {
  const h = loadModel(M, bytes);
  const g = withStrings(M, [prime, '{}'], (pp, sp) => M._serce_wasm_start_json(h, pp, sp));
  assert.ok(g, M.UTF8ToString(M._serce_wasm_error()));
  const words = JSON.parse(M.UTF8ToString(M._serce_wasm_next_words(g, k, max)));
  const topk = JSON.parse(M.UTF8ToString(M._serce_wasm_topk(g, k)));
  M._serce_wasm_free_gen(g);
  M._serce_wasm_free(h);
  return { words, topk };
}

const textOf = (run) => run.chunks.map((c) => c.text).join('');

// settings for serce_wasm_start_json and the same as `serce sample` flags
const SONG_CASES = [
  { name: 'K N K N, 8 syllables, ABAB', prime: '', settings: { seed: 1, form: 'K N K N', syllables: '8', rhyme: 'ABAB' } },
  { name: 'K N K N, 8 syllables, ABAB, seed 2, repetition 1.2', prime: '', settings: { seed: 2, form: 'K N K N', syllables: '8', rhyme: 'ABAB', repetition_penalty: 1.2 } },
  { name: 'custom form, 6+5 durak, AAXA, prime with a title line', prime: 'Sabah Kuşu\nPencereme',
    settings: { seed: 3, form: 'K3 N2 K3 N2', syllables: '6+5', rhyme: 'AAXA', temperature: 0.9 } },
  { name: 'no form: 7 syllables, AABB, two songs', prime: 'Yağmur', settings: { seed: 4, syllables: '7', rhyme: 'AABB', songs: 2 } },
  { name: 'cycled metre 7,7,7,5, lines per stanza 3, top-k', prime: '', settings: { seed: 5, form: 'K N K', lines_per_stanza: 3, syllables: '7,7,7,5', top_k: 12 } },
  { name: 'character controls only: repetition 1.3, no-repeat 6-grams, 500 characters', prime: 'Gece',
    settings: { seed: 6, repetition_penalty: 1.3, no_repeat_ngram: 6, length: 500, songs: 0 } },
];
// the flags of a settings object (songFlags covers the song settings)
function cliFlags(st) {
  const a = [];
  if (st.seed !== undefined) a.push('--seed', String(st.seed));
  if (st.temperature !== undefined) a.push('--temperature', String(st.temperature));
  if (st.top_k !== undefined) a.push('--top-k', String(st.top_k));
  if (st.length) a.push('--length', String(st.length));
  if (st.songs) a.push('--songs', String(st.songs));
  return [...a, ...songFlags(st)];
}
const cliRun = (model, prime, st) => {
  const r = spawnSync(CLI, ['sample', model, ...(prime ? ['--prime', prime] : []), ...cliFlags(st)], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
// the copied line listing of `serce sample --originality` (tools/cmd_use.c print_originality), from spans
function listing(text, spans) {
  const lines = [];
  let ls = 0, lineno = 1;
  while (ls < text.length) {
    let le = text.indexOf('\n', ls);
    if (le < 0) le = text.length;
    let s = '', any = false;
    for (let i = ls; i < le; i++) {
      const sp = spans.find(([a, b]) => a <= i && i < b);
      if (sp && (i === ls || i === sp[0])) s += '[[';
      s += text[i];
      if (sp && (i + 1 === le || i + 1 === sp[1])) s += ']]';
      any = any || !!sp;
    }
    if (any) lines.push(`  ${String(lineno).padStart(4)}  ${s}`);
    ls = le + 1;
    lineno++;
  }
  return lines;
}

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
      tm = trainTestModel({ withIndex: true });
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

    for (const c of SONG_CASES) {
      test(`start_json is byte-identical to serce sample flags and --settings: ${c.name}`, () => {
        const w = wasmRunJson(M, bytes, c.prime, c.settings, 16);
        assert.ok(!w.error, w.error);
        const n = probeJson(tm.model, c.prime, c.settings, 16);
        assert.deepEqual(w.chunks, n.chunks, 'chunks and kinds match the native api');
        assert.deepEqual(w.stats, n.stats, 'the same report natively');
        const cli = cliRun(tm.model, c.prime, c.settings);
        assert.equal(cli.status, 0, cli.stderr);
        assert.ok(textOf(w).length > 0);
        assert.equal(asCliOutput(textOf(w)), cli.stdout, 'flags');
        const viaJson = cliSampleSettings(tm.model, c.prime, c.settings);
        assert.equal(viaJson.status, 0, viaJson.stderr);
        assert.equal(viaJson.stdout, cli.stdout, '--settings');
        // the report: the CLI prints the same counts
        const st = w.stats;
        if (c.settings.rhyme) assert.match(cli.stderr, new RegExp(`rhyme: ${st.rhymes_met} of ${st.rhymes_required} required`));
        if (c.settings.syllables) assert.match(cli.stderr, new RegExp(`metre: ${st.metre_met} of ${st.metre_lines} lines`));
        if (c.settings.form === 'K N K N') {
          assert.equal(st.lines, 12, 'verse, chorus, verse: 12 lines generated (the repeated chorus once)');
          assert.equal(st.metre_lines, 12);
          assert.equal(st.rhymes_required, 6);
        }
        assert.ok(st.metre_met <= st.metre_lines && st.rhymes_met <= st.rhymes_required);
        if (c.settings.form || c.settings.syllables || c.settings.rhyme) assert.ok(st.attempts >= st.lines);
        // the same text in any chunk size
        assert.equal(textOf(wasmRunJson(M, bytes, c.prime, c.settings, 1)), textOf(w));
      });
    }

    test('start_json with the old settings gives what start gives; bad settings fail with the CLI message', () => {
      for (const c of [CASES[2], CASES[3], CASES[4]]) {
        const settings = { seed: c.seed, temperature: c.temperature, top_k: c.top_k, top_p: c.top_p, length: c.length || 0, songs: c.songs || 0 };
        assert.deepEqual(wasmRunJson(M, bytes, c.prime, settings, 16).chunks, wasmRun(M, bytes, c, 16, 0).chunks, c.name);
      }
      for (const bad of ['{"form":"K Q"}', '{"syllables":"0"}', '{"rhyme":"A1"}', '{"repetition_penalty":0.5}', '{"colour":1}',
        '{"seed":-1}', '[1]', '{"form":', '{"avoid_copying":true}']) {
        const w = wasmRunJson(M, bytes, '', bad, 16);
        assert.ok(w.error, bad);
        const r = spawnSync(CLI, ['sample', tm.model, '--settings', bad], { encoding: 'utf8' });
        assert.notEqual(r.status, 0, bad);
        assert.equal(r.stderr.trim(), `serce: ${w.error}`, bad);
      }
    });

    test('skip_prime hands out only what follows the prime', () => {
      // [prime, settings, the prime's text as rendered (its title line ends with an empty line)]
      for (const [prime, settings, shown] of [
        [SONG_CASES[2].prime, SONG_CASES[2].settings, 'Sabah Kuşu\n\nPencereme'],
        ['Gece Yarısı\n\nSeni bekledim\n', { seed: 9, length: 200, songs: 1 }, 'Gece Yarısı\n\nSeni bekledim\n'],
        ['Gece Yarısı\nSeni bekledim\nSen', { seed: 9, form: 'K N', syllables: '8', rhyme: 'AABB' }, 'Gece Yarısı\n\nSeni bekledim\nSen']]) {
        const full = textOf(wasmRunJson(M, bytes, prime, settings, 16));
        const rest = textOf(wasmRunJson(M, bytes, prime, settings, 16, { skipPrime: true }));
        assert.ok(rest.length > 0, prime);
        assert.equal(full, shown + rest, prime);
      }
    });

    test('next_words: the likeliest letters with their greedy word, as natively', () => {
      for (const prime of ['', 'Gece Yarısı', 'Gece Yarısı\n\nSeni bek', 'Gece Yarısı\n\nSeni bekledim ']) {
        const { words, topk } = wasmNextWords(M, bytes, prime, 6, 24);
        assert.deepEqual(words, probeNextWords(tm.model, prime, 6, 24), prime);
        assert.equal(words.length, 6);
        let last = 1;
        for (const [c, p, w, wp] of words) {
          assert.ok(p <= last + 1e-9 && p > 0 && wp <= p + 1e-9, JSON.stringify(words));
          last = p;
          assert.ok(w.startsWith(c), `${w} starts with ${c}`);
          assert.ok([...w].length <= 24);
          if (c !== '\n' && !c.startsWith('<') && /\p{L}/u.test(c)) assert.ok(!/\s/.test(w), `one word: ${w}`);
        }
        assert.ok(words.reduce((a, x) => a + x[1], 0) <= 1 + 1e-6);
        // the same order as topk, apart from <t> (which the sampler allows only in the title line)
        const inTitle = !prime.includes('\n');
        assert.deepEqual(words.map((x) => x[0]), topk.map((x) => x[0]).filter((c) => inTitle || c !== '<t>').slice(0, words.length));
      }
      // a word in progress is completed to its end
      const mid = wasmNextWords(M, bytes, 'Gece Yarısı\n\nSeni bek', 3, 24).words;
      assert.ok(mid.some(([c, , w]) => /^\p{L}+$/u.test(w) && w.length >= 1), JSON.stringify(mid));
    });

    test('originality: spans of a copied line in UTF-16 offsets, as natively and as the CLI lists them', () => {
      const idx = readBytes(tm.indexed);
      const info = (() => { const h = loadModel(M, idx); const i = JSON.parse(M.UTF8ToString(M._serce_wasm_info(h))); M._serce_wasm_free(h); return i; })();
      assert.equal(info.originality.n, 24);
      assert.ok(info.originality.items > 100 && info.originality.fpr > 0 && info.originality.fpr < 0.01);
      assert.equal(info.metadata['serce.originality'], undefined, 'the bits stay out of the description');
      // two lines of our own text, copied, after a character outside the BMP (two UTF-16 units) and before new text
      const own = readFileSync(TEXT, 'utf8').split('\n');
      assert.ok(own[0].startsWith('# ') && own[1] === '' && own[2] && own[3], 'a song starts the text');
      const line = `${own[2]}\n${own[3]}`;
      const text = `Yeni Şarkı 🐦\n\nBambaşka bir söz burada duruyor\n${line}\nVe yine yepyeni bir dize gelir ardından`;
      const { result } = wasmOriginality(M, idx, text);
      assert.deepEqual(result, probeOriginality(tm.indexed, text));
      assert.ok(result.spans.length >= 1, JSON.stringify(result));
      const copied = result.spans.map(([a, b]) => text.slice(a, b)).join('|');
      assert.ok(copied.includes(own[2].slice(2)) && copied.includes(own[3].slice(0, -2)), `${copied} covers ${line}`);
      assert.ok(!copied.includes('Bambaşka') && !copied.includes('yepyeni'), copied);
      assert.ok(result.novelty > 0 && result.novelty < 1);
      assert.equal(result.n, 24);
      assert.ok(result.copied > 0 && result.copied < result.letters);
      for (const [a, b] of result.spans) assert.ok(Number.isInteger(a) && Number.isInteger(b) && a < b && b <= text.length);
      // new text: no spans; a model without an index: null and a message
      assert.deepEqual(wasmOriginality(M, idx, 'Bambaşka bir söz burada duruyor').result.spans, []);
      const none = wasmOriginality(M, bytes, text);
      assert.equal(none.result, null);
      assert.match(none.error, /no originality index/);
      // the CLI's listing of copied lines, from the same text: generate past a copied prime
      const cli = spawnSync(CLI, ['sample', tm.indexed, '--prime', `Yeni Şarkı\n${line}`, '--seed', '3', '--length', '80', '--originality'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      const cut = cli.stdout.lastIndexOf('\noriginality: ');
      const generated = cli.stdout.slice(0, cut); // the text (plus the final newline the CLI adds: a separator, it changes nothing)
      const tail = cli.stdout.slice(cut + 1).split('\n');
      const shown = tail.filter((l) => /^ {2}[ \d]{4} {2}/.test(l));
      const orig = wasmOriginality(M, idx, generated).result;
      assert.deepEqual(listing(generated, orig.spans), shown);
      assert.ok(shown.length >= 1);
      const pct = Number(/originality: ([\d.]+)%/.exec(tail[0])[1]);
      assert.ok(Math.abs(pct - 100 * orig.novelty) <= 0.051, `${pct} vs ${orig.novelty}`);
    });

    test('an int8 model (serce export --int8): logits bit-identical to native, text byte-identical to serce sample', () => {
      const q8 = join(tm.dir, 'test.int8.safetensors');
      execFileSync(CLI, ['export', tm.model, '-o', q8, '--int8'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const qBytes = readBytes(q8);
      const header = JSON.parse(Buffer.from(qBytes.subarray(8, 8 + Number(Buffer.from(qBytes).readBigUInt64LE(0)))).toString('utf8'));
      assert.equal(header['lstm.weight_hh_l0'].dtype, 'I8', 'the export is int8');
      for (const c of [CASES[1], CASES[3], CASES[4]]) {
        const w = wasmRun(M, qBytes, c, 1, 400);
        const n = probe(q8, c, 1, 400);
        assert.deepEqual(w, { ...n, info: w.info }, `${c.name}: chunks, kinds and logits differ`);
      }
      for (const c of CASES) {
        const w = wasmRun(M, qBytes, c, 16, 0);
        const cli = cliSample(q8, c);
        assert.equal(cli.status, 0, cli.stderr);
        assert.ok(textOf(w).length > 0);
        assert.equal(asCliOutput(textOf(w)), cli.stdout, c.name);
      }
      for (const c of SONG_CASES.slice(0, 3)) {
        const w = wasmRunJson(M, qBytes, c.prime, c.settings, 32);
        const cli = cliRun(q8, c.prime, c.settings);
        assert.equal(cli.status, 0, cli.stderr);
        assert.equal(asCliOutput(textOf(w)), cli.stdout, c.name);
      }
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
        // the page's defaults: a song form with metre and rhyme, fewer repeats, no copying (the model's index)
        const song = { seed: 12, form: 'K N K N', lines_per_stanza: 4, syllables: '8', rhyme: 'ABAB', repetition_penalty: 1.2, avoid_copying: true };
        const ws = wasmRunJson(M, siteBytes, 'Gece', song, 32);
        assert.ok(!ws.error, ws.error);
        const cs = cliRun(site, 'Gece', song);
        assert.equal(cs.status, 0, cs.stderr);
        assert.equal(asCliOutput(textOf(ws)), cs.stdout, `${file}: song settings`);
        assert.equal(ws.stats.metre_lines, 12);
        const o = wasmOriginality(M, siteBytes, textOf(ws)).result;
        assert.ok(o && o.novelty >= 0 && o.novelty <= 1 && o.n === 24, file);
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
    const q8 = join(tm.dir, 'test.int8.safetensors');
    execFileSync(CLI, ['export', tm.model, '-o', q8, '--int8'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const qBytes = readBytes(q8);
    for (const c of CASES) assert.deepEqual(wasmRun(S, qBytes, c, 1, 200).chunks, wasmRun(P, qBytes, c, 1, 200).chunks, `int8: ${c.name}`);
  } finally {
    tm.cleanup();
  }
});

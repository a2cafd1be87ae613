#!/usr/bin/env node
// bench_browser.mjs — Serçe's generation speed in the browser against onnxruntime-web and
// TensorFlow.js, and the site's time to first character. Run by hand (not in CI):
//
//   node tools/bench_browser.mjs [--seconds S] [--rounds N] [--shapes seed,small,tiny]
//                                [--engines LIST] [--no-ttfc] [--ttfc-visits N] [--no-parts] [--rebuild]
//   node tools/bench_browser.mjs --ttfc-only [--ttfc-visits N] [--site DIR]
//
// Needs: the build (`cmake --build build`: build/serce and build/site), Emscripten (emcc), PyTorch 1.13
// at /usr/bin/python3, /usr/bin/chromium, and `npm install` (the devDependencies onnxruntime-web,
// @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm and playwright-core: benchmark only, never in the site).
//
// What it measures, in ONE headless Chromium page: batch-1 generation, one character at a time with
// the argmax fed back, 1 thread, each engine in its own Web Worker, for the shapes seed (E64/2x512),
// small (E32/2x256) and tiny (E32/1x128), vocabulary 64, all from the same weights
// (tools/bench_browser/make_models.py). Every round runs every shape x engine once (warm-up, then
// S seconds), in a rotated order; the table shows the best of the rounds (the machine is shared and
// noisy) and the median. Engines:
//   serce-simd-f32 / -int8, serce-plain-f32   the site's own serce-simd/plain modules via wasm/api.c, as
//                                             www/worker.js calls them: serce_wasm_step(g, 64), temperature 0
//   ...-loop                                  tools/bench_browser/bench.c: a tight C loop of the core's
//                                             serce_infer_step + argmax (no sampler, no text): the model alone
//   serce-simd-f32-api1                       serce_wasm_step(g, 1): one call from JavaScript per character
//   serce-simd-{f32,int8}-exp                 bench.c's experimental step, bit-identical to the core's (checked):
//                                             the gate nonlinearities four lanes at a time; int8 weights widened
//                                             to float without the sitofp that Emscripten 3.1.6 scalarises
//   ort                                       onnxruntime-web, wasm backend, numThreads 1, torch.onnx.export'ed step
//   tfjs                                      TensorFlow.js, wasm backend, 1 thread, SIMD: gather + basicLSTMCell + matMul
// Before timing, every engine that exposes logits is checked against PyTorch (max |logit difference|
// on 64 steps of a fixed token sequence, and the greedy sequence).
// Then (unless --no-parts) the parts of a step are timed inside the wasm, and (unless --no-ttfc) the
// real site build/site with its default model is opened with ?seed=1&length=50: navigation start to
// the first character in #lyrics, on a first visit and on repeat visits (HTTP + service-worker cache).
// That link starts a song by itself, as every permalink does (a plain visit waits for "Yaz"), so this
// is the time from opening a link to its first generated character. --ttfc-only measures just that
// (needs only the site and /usr/bin/chromium); --site DIR times another build of the site.
//
// Output: progress on stderr; on stdout the tables, then JSON objects one per line (environment, check,
// measurement — one per shape x engine x round —, part, ttfc, summary, ttfc_summary), each line starting with '{'.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startServer } from '../tests/web/serve.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = resolve(HERE, '..');
const BB = join(HERE, 'bench_browser');
const BUILD = resolve(process.env.SERCE_BUILD_DIR || join(SOURCE, 'build'));
const CLI = join(BUILD, 'serce');
const SITE = join(BUILD, 'site');
const CACHE = join(BUILD, 'bench-browser');
const NM = join(BB, 'node_modules'); // benchmark-only packages: npm ci --prefix tools/bench_browser
const CHROMIUM = process.env.SERCE_CHROMIUM || '/usr/bin/chromium';
const PYTHON = process.env.SERCE_PYTHON || '/usr/bin/python3';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];
const SHAPES = { seed: { E: 64, H: 512, L: 2 }, small: { E: 32, H: 256, L: 2 }, tiny: { E: 32, H: 128, L: 1 } };
const V = 64;
const startLoad = loadavg();

// ---------------------------------------------------------------- options
const USAGE = `usage: node tools/bench_browser.mjs [options]
  --seconds S        timed seconds per measurement (default 2; a warm-up of S/4, at least 0.25 s, comes first)
  --rounds N         rounds over all shapes and engines; the best and the median are reported (default 3)
  --shapes LIST      seed,small,tiny (default all three)
  --engines LIST     default all: serce-simd-f32,serce-simd-int8,serce-plain-f32,ort,tfjs,
                     serce-simd-f32-loop,serce-simd-int8-loop,serce-plain-f32-loop,serce-simd-f32-api1,
                     serce-simd-f32-exp,serce-simd-int8-exp (also serce-simd-f32-exp-x2)
  --no-parts         skip timing the parts of a step
  --no-ttfc          skip the time to first character of the site
  --ttfc-visits N    repeat visits timed (default 5)
  --ttfc-only        only the time to first character (no engines, models or PyTorch needed)
  --site DIR         the site whose time to first character is measured (default build/site)
  --rebuild          rebuild the benchmark's models and wasm modules (cached in build/bench-browser)
  --keep             keep the served temporary folder (its path is printed)`;
const ALL_ENGINES = ['serce-simd-f32', 'serce-simd-int8', 'serce-plain-f32', 'ort', 'tfjs', 'serce-simd-f32-loop',
  'serce-simd-int8-loop', 'serce-plain-f32-loop', 'serce-simd-f32-api1', 'serce-simd-f32-exp', 'serce-simd-int8-exp'];
const opt = { seconds: 2, rounds: 3, shapes: Object.keys(SHAPES), engines: ALL_ENGINES, parts: true, ttfc: true, visits: 5,
  rebuild: false, keep: false, ttfcOnly: false, site: SITE };
{
  const a = process.argv.slice(2);
  const val = (i) => {
    if (i + 1 >= a.length) die(`${a[i]} needs a value\n${USAGE}`);
    return a[i + 1];
  };
  for (let i = 0; i < a.length; i++) {
    switch (a[i]) {
      case '--seconds': opt.seconds = Number(val(i)); i++; break;
      case '--rounds': opt.rounds = Number(val(i)); i++; break;
      case '--shapes': opt.shapes = val(i).split(','); i++; break;
      case '--engines': opt.engines = val(i).split(','); i++; break;
      case '--ttfc-visits': opt.visits = Number(val(i)); i++; break;
      case '--no-parts': opt.parts = false; break;
      case '--no-ttfc': opt.ttfc = false; break;
      case '--ttfc-only': opt.ttfcOnly = true; break;
      case '--site': opt.site = resolve(val(i)); i++; break;
      case '--rebuild': opt.rebuild = true; break;
      case '--keep': opt.keep = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: die(`unknown option ${a[i]}\n${USAGE}`);
    }
  }
  if (!(opt.seconds > 0) || !(opt.rounds >= 1) || !(opt.visits >= 1)) die('--seconds > 0, --rounds >= 1, --ttfc-visits >= 1');
  for (const s of opt.shapes) if (!SHAPES[s]) die(`unknown shape ${s} (seed, small, tiny)`);
  for (const e of opt.engines) if (!ALL_ENGINES.includes(e) && e !== 'serce-simd-f32-exp-x2') die(`unknown engine ${e}`);
}

function die(msg) {
  console.error(`bench_browser: ${msg}`);
  process.exit(2);
}
const log = (msg) => process.stderr.write(`bench_browser: ${msg}\n`);

// ---------------------------------------------------------------- inputs, built once and cached
function hashFiles(files, extra = '') {
  const h = createHash('sha256');
  h.update(extra);
  for (const f of files) h.update(`${f}\0`).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function cached(dir, key, build) {
  const stamp = join(dir, '.stamp');
  if (!opt.rebuild && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  build(dir);
  writeFileSync(stamp, key);
}

function prepareModels() {
  const dir = join(CACHE, 'models');
  const script = join(BB, 'make_models.py');
  cached(dir, hashFiles([CLI, script]), (d) => {
    log('making the models (serce train --steps 1, serce export --int8, torch.onnx.export)');
    execFileSync(PYTHON, [script, '--serce', CLI, '--out', d], { stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  });
  return dir;
}

const BENCH_EXPORTS = ['_bb_error', '_bb_load', '_bb_kernel', '_bb_is_int8', '_bb_reset', '_bb_run', '_bb_step', '_bb_exp_init',
  '_bb_exp_run', '_bb_exp_step', '_bb_exp_reset', '_bb_exp_compare', '_bb_gates_compare', '_bb_kernels_compare', '_bb_time_part',
  '_malloc', '_free'];

// the benchmark modules: the core + wasm/api.c + bench.c with the flags of wasm/CMakeLists.txt
function buildBenchWasm() {
  const dir = join(CACHE, 'wasm');
  const core = readdirSync(join(SOURCE, 'core')).filter((f) => /\.[ch]$/.test(f) && f !== 'fileio.c').sort()
    .map((f) => join(SOURCE, 'core', f));
  const inputs = [...core, join(SOURCE, 'wasm', 'api.c'), join(SOURCE, 'wasm', 'api.h'), join(BB, 'bench.c'),
    join(SOURCE, 'wasm', 'CMakeLists.txt')];
  const common = ['-O3', '-ffp-contract=off', '-fno-trapping-math', '-D_POSIX_C_SOURCE=200809L', `-I${join(SOURCE, 'core')}`,
    `-I${join(SOURCE, 'wasm')}`, ...core.filter((f) => f.endsWith('.c')), join(SOURCE, 'wasm', 'api.c'), join(BB, 'bench.c'),
    '-sMODULARIZE=1', '-sALLOW_MEMORY_GROWTH=1', '-sINITIAL_MEMORY=16MB', '-sENVIRONMENT=web,worker', '-sFILESYSTEM=0',
    '-sDYNAMIC_EXECUTION=0', `-sEXPORTED_FUNCTIONS=${BENCH_EXPORTS.join(',')}`, '-sEXPORTED_RUNTIME_METHODS=UTF8ToString'];
  cached(dir, hashFiles(inputs, common.join(' ')), (d) => {
    log('building the benchmark wasm modules (emcc, simd128 and plain)');
    const env = { ...process.env, NODE_PATH: process.env.NODE_PATH || '/usr/share/nodejs' };
    for (const [flavour, extra] of [['simd', ['-msimd128']], ['plain', []]])
      execFileSync('emcc', [...extra, ...common, `-sEXPORT_NAME=SerceBench_${flavour}`, '-o', join(d, `serce-bench-${flavour}.js`)],
        { stdio: ['ignore', 'inherit', 'inherit'], env });
  });
  return dir;
}

function assemble(models, wasm) {
  const root = mkdtempSync(join(tmpdir(), 'serce-bench-browser-'));
  for (const f of ['index.html', 'page.js', 'worker-serce.js', 'worker-ort.js', 'worker-tfjs.js']) cpSync(join(BB, f), join(root, f));
  mkdirSync(join(root, 'serce'));
  for (const f of ['serce-simd.js', 'serce-simd.wasm', 'serce-plain.js', 'serce-plain.wasm']) cpSync(join(BUILD, 'wasm', f), join(root, 'serce', f));
  for (const f of readdirSync(wasm).filter((n) => !n.startsWith('.'))) cpSync(join(wasm, f), join(root, 'serce', f));
  cpSync(models, join(root, 'models'), { recursive: true });
  const ortDist = join(NM, 'onnxruntime-web', 'dist');
  mkdirSync(join(root, 'ort'));
  for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) cpSync(join(ortDist, f), join(root, 'ort', f));
  mkdirSync(join(root, 'tfjs'));
  cpSync(join(NM, '@tensorflow', 'tfjs', 'dist', 'tf.min.js'), join(root, 'tfjs', 'tf.min.js'));
  const tfw = join(NM, '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of ['tf-backend-wasm.min.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
    cpSync(join(tfw, f), join(root, 'tfjs', f));
  return root;
}

// ---------------------------------------------------------------- engines
function engineSpec(name, base) {
  const serce = (script, factory, mode, chunk = 64) => ({ worker: 'worker-serce.js',
    init: { script: `${base}serce/${script}`, factory, mode, chunk } });
  const precision = name.includes('int8') ? 'int8' : 'f32';
  const flavour = name.includes('plain') ? 'plain' : 'simd';
  let spec;
  if (name === 'ort') spec = { worker: 'worker-ort.js', module: true, init: { wasmPaths: `${base}ort/` } };
  else if (name === 'tfjs') spec = { worker: 'worker-tfjs.js', init: { tf: `${base}tfjs/tf.min.js`, backend: `${base}tfjs/tf-backend-wasm.min.js`, wasmPaths: `${base}tfjs/` } };
  else if (name.endsWith('-loop')) spec = serce(`serce-bench-${flavour}.js`, `SerceBench_${flavour}`, 'loop');
  else if (name.endsWith('-exp')) spec = serce('serce-bench-simd.js', 'SerceBench_simd', 'exp');
  else if (name.endsWith('-exp-x2')) spec = serce('serce-bench-simd.js', 'SerceBench_simd', 'exp-x2');
  else if (name.endsWith('-api1')) spec = serce('serce-simd.js', 'SerceSimd', 'api', 1);
  else spec = serce(`serce-${flavour}.js`, flavour === 'simd' ? 'SerceSimd' : 'SercePlain', 'api');
  spec.modelUrl = (shape) => name === 'ort' ? `${base}models/${shape}.onnx` : name === 'tfjs' ? `${base}models/${shape}.tfjs`
    : `${base}models/${shape}.${precision}.safetensors`;
  return spec;
}

const DESCRIBE = {
  'serce-simd-f32': 'Serçe wasm SIMD fp32 (site module, api 64/call)',
  'serce-simd-int8': 'Serçe wasm SIMD int8 (site module, api 64/call)',
  'serce-plain-f32': 'Serçe wasm plain fp32 (site module, api 64/call)',
  ort: 'onnxruntime-web wasm (1 thread, SIMD)',
  tfjs: 'TensorFlow.js wasm (1 thread, SIMD)',
  'serce-simd-f32-loop': 'Serçe SIMD fp32, C loop (model only)',
  'serce-simd-int8-loop': 'Serçe SIMD int8, C loop (model only)',
  'serce-plain-f32-loop': 'Serçe plain fp32, C loop (model only)',
  'serce-simd-f32-api1': 'Serçe SIMD fp32, api 1 char/call',
  'serce-simd-f32-exp': 'Serçe SIMD fp32, C loop, SIMD gates (experiment)',
  'serce-simd-int8-exp': 'Serçe SIMD int8, C loop, SIMD gates+widening (exp.)',
  'serce-simd-f32-exp-x2': 'Serçe SIMD fp32, C loop, SIMD gates + 2-row matvec',
};

// ---------------------------------------------------------------- helpers
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const emit = (o) => console.log(JSON.stringify(o));

// ---------------------------------------------------------------- throughput
async function throughput(browser, root) {
  const srv = await startServer({ root, csp: false });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(srv.url);
  await page.waitForFunction(() => window.bench, null, { timeout: 30000 });
  const env = await page.evaluate(() => window.bench.info());
  emit({ kind: 'environment', browser: browser.version(), ...env, load: loadavg() });
  log(`Chromium ${browser.version()}, crossOriginIsolated ${env.crossOriginIsolated}`);

  const refs = {};
  for (const s of opt.shapes) refs[s] = JSON.parse(readFileSync(join(root, 'models', `${s}.ref.json`), 'utf8'));
  const live = [];
  const info = {};
  for (const name of opt.engines) {
    const spec = engineSpec(name, srv.url);
    try {
      const r = await page.evaluate(([n, s]) => window.bench.start(n, s), [name, { worker: spec.worker, module: spec.module, init: spec.init }]);
      info[name] = { init: r, shapes: {} };
      for (const s of opt.shapes) {
        const l = await page.evaluate(([n, m]) => window.bench.load(n, m), [name, { shape: s, url: spec.modelUrl(s), V, ...SHAPES[s] }]);
        const c = await page.evaluate(([n, m]) => window.bench.check(n, m), [name, { shape: s, ref: refs[s] }]);
        let greedySame = null;
        if (c.checked) {
          greedySame = 0;
          while (greedySame < c.greedy.length && c.greedy[greedySame] === refs[s].greedy[greedySame]) greedySame++;
        }
        info[name].shapes[s] = { ...l, check: c.checked ? { maxDiff: c.maxDiff, argmaxSame: c.argmaxSame, steps: c.steps, greedySame } : null };
        emit({ kind: 'check', engine: name, shape: s, kernel: l.kernel, ...(l.bitIdentical ? { vs_core_step: l.bitIdentical } : {}), ...(c.checked
          ? { max_abs_logit_diff_vs_torch: Number(c.maxDiff.toExponential(3)), argmax_same: c.argmaxSame, steps: c.steps,
            greedy_prefix_same: greedySame, greedy_len: c.greedy.length } : { checked: false, why: 'api path: the sampler picks the tokens' }) });
      }
      live.push(name);
      log(`${name}: ready (${JSON.stringify(r).slice(0, 160)})`);
    } catch (e) {
      log(`${name}: FAILED to start: ${e.message.split('\n')[0]}`);
      emit({ kind: 'error', engine: name, error: e.message.split('\n')[0] });
    }
  }

  const results = {}; // shape -> engine -> [cps]
  for (const s of opt.shapes) results[s] = Object.fromEntries(live.map((e) => [e, []]));
  const warmup = Math.max(0.25, opt.seconds / 4);
  const total = opt.rounds * opt.shapes.length * live.length * (opt.seconds + warmup);
  log(`timing ${live.length} engines x ${opt.shapes.length} shapes x ${opt.rounds} rounds (about ${Math.ceil(total / 60)} min)`);
  for (let round = 0; round < opt.rounds; round++) {
    for (const s of opt.shapes) {
      const order = live.map((_, i) => live[(i + round) % live.length]);
      for (const name of order) {
        try {
          const r = await page.evaluate(([n, m]) => window.bench.run(n, m), [name, { shape: s, seconds: opt.seconds, warmup }]);
          const cps = (r.chars * 1000) / r.ms;
          results[s][name][round] = cps;
          emit({ kind: 'measurement', shape: s, engine: name, round: round + 1, chars_per_s: Math.round(cps), chars: r.chars,
            ms: Number(r.ms.toFixed(1)), calls: r.calls });
        } catch (e) {
          log(`${name} ${s}: ${e.message.split('\n')[0]}`);
          emit({ kind: 'error', engine: name, shape: s, error: e.message.split('\n')[0] });
        }
      }
    }
    log(`round ${round + 1}/${opt.rounds} done`);
  }

  let parts = null;
  if (opt.parts && live.includes('serce-simd-f32-loop')) parts = await timeParts(page, live);
  if (errors.length) log(`page errors: ${errors.slice(0, 5).join(' | ')}`);
  await ctx.close();
  await srv.close();
  return { results, info, live, parts };
}

// microseconds per call of each part of a step, inside the wasm
async function timeParts(page, live) {
  const sizes = [];
  for (const s of opt.shapes) {
    const { H, E, L } = SHAPES[s];
    sizes.push({ shape: s, what: 'W_hh / W_ih (l>0)', rows: 4 * H, kpad: H, count: 2 * L - 1 });
    sizes.push({ shape: s, what: 'head', rows: V, kpad: H, count: 1 });
    sizes.push({ shape: s, what: 'gates', rows: H, kpad: 16, count: L, gate: true });
    void E;
  }
  const out = [];
  for (const z of sizes) {
    const row = { ...z };
    const t = (engine, what) => page.evaluate(([n, m]) => window.bench.time(n, m), [engine, { what, rows: z.rows, kpad: z.kpad, ms: 300 }]);
    if (z.gate) {
      row.simd = (await t('serce-simd-f32-loop', 3)).us;
      row.fix = (await t('serce-simd-f32-loop', 6)).us;
    } else {
      row.simd = (await t('serce-simd-f32-loop', 0)).us;
      row.x2 = (await t('serce-simd-f32-loop', 2)).us;
      row.int8 = (await t('serce-simd-f32-loop', 1)).us;
      row.fix = (await t('serce-simd-f32-loop', 5)).us;
      if (live.includes('serce-plain-f32-loop')) row.plain = (await t('serce-plain-f32-loop', 0)).us;
      row.gflops = (2 * z.rows * z.kpad) / (row.simd * 1e3);
    }
    out.push(row);
    emit({ kind: 'part', shape: z.shape, part: z.what, rows: z.rows, kpad: z.gate ? undefined : z.kpad, per_step: z.count,
      ...(z.gate ? { scalar_us: row.simd, simd_us: row.fix } : { simd_us: row.simd, x2_us: row.x2, int8_us: row.int8, int8_fixed_us: row.fix,
        plain_us: row.plain, gflops: Number(row.gflops.toFixed(2)) }) });
  }
  return out;
}

// ---------------------------------------------------------------- time to first character
const TTFC_INIT = () => {
  const T = (window.__ttfc = { marks: {} });
  const mark = (k) => { if (T.marks[k] === undefined) T.marks[k] = performance.now(); };
  const W = window.Worker;
  window.Worker = class extends W {
    constructor(...a) {
      super(...a);
      mark('worker_created');
      this.addEventListener('message', (ev) => { if (ev.data && typeof ev.data.type === 'string') mark(`msg_${ev.data.type}`); });
    }
    postMessage(m, ...rest) {
      if (m && typeof m.type === 'string') mark(`send_${m.type}`);
      return super.postMessage(m, ...rest);
    }
  };
  new MutationObserver(() => {
    const l = document.getElementById('lyrics');
    if (l && l.textContent.length > 0 && T.marks.first_char === undefined) {
      mark('first_char');
      // the frame that shows it: a task queued from the next animation frame runs after that frame
      requestAnimationFrame(() => setTimeout(() => mark('first_frame'), 0));
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
};

async function ttfc(browser) {
  const srv = await startServer({ root: opt.site });
  const url = `${srv.url}?seed=1&length=50`;
  const ctx = await browser.newContext({ serviceWorkers: 'allow' });
  await ctx.addInitScript(TTFC_INIT);
  const visits = [];
  const visit = async (label) => {
    const page = await ctx.newPage();
    const req0 = srv.requests.length;
    const workers = [];
    page.on('worker', (w) => workers.push(w));
    await page.goto(url);
    await page.waitForFunction(() => window.__ttfc.marks.msg_done !== undefined && window.__ttfc.marks.first_frame !== undefined, null,
      { timeout: 60000 });
    const r = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return { marks: window.__ttfc.marks, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, text: document.getElementById('lyrics').textContent,
        controlled: !!navigator.serviceWorker.controller, origin: performance.timeOrigin };
    });
    // inside the site's worker: when its scripts and the wasm arrived (its resource timing, moved to the page's clock)
    let inWorker = null;
    for (const w of workers) {
      const t = await w.evaluate(() => ({ origin: performance.timeOrigin,
        res: performance.getEntriesByType('resource').map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd })),
        marks: performance.getEntriesByType('mark').map((e) => [e.name, e.startTime]) })).catch(() => null);
      if (!t) continue;
      const shift = t.origin - r.origin;
      const find = (re) => t.res.find((e) => re.test(e.name));
      const glue = find(/serce-(simd|plain)\.js/), wasm = find(/serce-(simd|plain)\.wasm/), model = find(/\.safetensors/);
      inWorker = { worker_started_ms: Number(shift.toFixed(1)), glue_loaded_ms: glue ? Number((glue.end + shift).toFixed(1)) : null,
        wasm_fetch_start_ms: wasm ? Number((wasm.start + shift).toFixed(1)) : null, wasm_fetched_ms: wasm ? Number((wasm.end + shift).toFixed(1)) : null,
        model_fetch_start_ms: model ? Number((model.start + shift).toFixed(1)) : null, model_fetched_ms: model ? Number((model.end + shift).toFixed(1)) : null };
      // the worker's own milestones (worker.js: mark()), on the page's clock
      for (const [name, at] of t.marks)
        if (name.startsWith('serce:')) inWorker[`w_${name.slice(6).replace(/-/g, '_')}_ms`] = Number((at + shift).toFixed(1));
    }
    const requests = srv.requests.slice(req0).map((q) => q.url.replace(/\?v=[0-9a-f]+$/, ''));
    if (label === 'first') await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.close();
    const m = r.marks;
    const v = { kind: 'ttfc', visit: label, first_char_ms: Number(m.first_char.toFixed(1)), first_frame_ms: Number(m.first_frame.toFixed(1)),
      dom_content_loaded_ms: Number(r.dcl.toFixed(1)),
      worker_created_ms: Number((m.worker_created ?? NaN).toFixed(1)), wasm_ready_ms: Number((m.msg_ready ?? NaN).toFixed(1)),
      model_requested_ms: Number((m.send_fetchModel ?? NaN).toFixed(1)), model_loaded_ms: Number((m.msg_model ?? NaN).toFixed(1)),
      generate_sent_ms: Number((m.send_generate ?? NaN).toFixed(1)),
      first_chunk_ms: Number((m.msg_chunk ?? NaN).toFixed(1)), done_ms: Number(m.msg_done.toFixed(1)),
      ...(inWorker || {}), service_worker_controlled: r.controlled, server_requests: requests, chars: [...r.text].length };
    emit(v);
    visits.push(v);
  };
  await visit('first');
  for (let i = 0; i < opt.visits; i++) await visit(`repeat${i + 1}`);
  await ctx.close();
  await srv.close();
  return visits;
}

// ---------------------------------------------------------------- report
function report({ results, info, live, parts }, visits) {
  const summary = {};
  for (const s of opt.shapes) {
    summary[s] = {};
    for (const e of live) {
      const xs = results[s][e].filter((x) => x !== undefined);
      if (!xs.length) continue;
      // paired ratios: this engine against ORT / TF.js in the same round (adjacent in time), median over rounds
      const paired = (o) => {
        const rs = results[s][e].map((x, i) => (x !== undefined && results[s][o] && results[s][o][i] ? x / results[s][o][i] : undefined))
          .filter((x) => x !== undefined);
        return rs.length ? median(rs) : undefined;
      };
      summary[s][e] = { best: Math.max(...xs), median: median(xs), n: xs.length, pOrt: paired('ort'), pTf: paired('tfjs') };
    }
  }
  const main = ['serce-simd-f32', 'serce-simd-int8', 'serce-plain-f32', 'ort', 'tfjs'].filter((e) => live.includes(e));
  const extra = live.filter((e) => !main.includes(e));
  const w = 52;
  const later = []; // JSON lines after the tables
  const loads = `load average at the start ${startLoad.map((x) => x.toFixed(1)).join(' ')}, at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${cpus().length} cores`;
  if (live.length) {
    console.log('');
    console.log(`Batch-1 generation in headless Chromium, chars/s (best of ${opt.rounds} x ${opt.seconds} s; median), 1 thread, argmax fed back`);
    console.log(`(${loads})`);
    console.log('(/ORT, /TF.js: best against best; paired: the median over rounds of the ratio within the same round)');
  }
  const head = `${pad('shape', 7)}${pad('engine', w)}${lpad('best', 9)}${lpad('median', 9)}${lpad('µs/char', 9)}${lpad('/ORT', 7)}${lpad('/TF.js', 7)}` +
    `${lpad('paired', 8)}${lpad('paired', 8)}  check vs PyTorch`;
  for (const [title, list] of [['', main], ['diagnostics (same page, same rounds):', extra]]) {
    if (!list.length) continue;
    if (title) console.log(`\n${title}`);
    console.log(head);
    for (const s of opt.shapes) {
      const ort = summary[s].ort && summary[s].ort.best, tf = summary[s].tfjs && summary[s].tfjs.best;
      for (const e of list) {
        const r = summary[s][e];
        if (!r) continue;
        const isSerce = e.startsWith('serce');
        const ck = info[e].shapes[s] && info[e].shapes[s].check;
        const bi = info[e].shapes[s] && info[e].shapes[s].bitIdentical;
        const ckText = (ck ? `max|Δ| ${ck.maxDiff.toExponential(1)}, argmax ${ck.argmaxSame}/${ck.steps}, greedy ${ck.greedySame}/64` : '') +
          (bi ? `; = core step bit for bit (${bi.steps} steps)` : '');
        console.log(`${pad(s, 7)}${pad(DESCRIBE[e], w)}${lpad(fmt(r.best), 9)}${lpad(fmt(r.median), 9)}${lpad(fmt(1e6 / r.best, 1), 9)}` +
          `${lpad(isSerce && ort ? `${fmt(r.best / ort, 2)}x` : '', 7)}${lpad(isSerce && tf ? `${fmt(r.best / tf, 2)}x` : '', 7)}` +
          `${lpad(isSerce && r.pOrt ? `${fmt(r.pOrt, 2)}x` : '', 8)}${lpad(isSerce && r.pTf ? `${fmt(r.pTf, 2)}x` : '', 8)}  ${ckText}`);
        later.push({ kind: 'summary', shape: s, engine: e, best_chars_per_s: Math.round(r.best), median_chars_per_s: Math.round(r.median), rounds: r.n,
          ...(isSerce && ort ? { ratio_vs_ort: Number((r.best / ort).toFixed(3)) } : {}),
          ...(isSerce && tf ? { ratio_vs_tfjs: Number((r.best / tf).toFixed(3)) } : {}),
          ...(isSerce && r.pOrt ? { paired_ratio_vs_ort: Number(r.pOrt.toFixed(3)) } : {}),
          ...(isSerce && r.pTf ? { paired_ratio_vs_tfjs: Number(r.pTf.toFixed(3)) } : {}) });
      }
    }
  }
  if (parts) {
    console.log('\nParts of one step inside the wasm, µs per call (matvec: fp32 SIMD as shipped, two rows per pass, int8 as');
    console.log('shipped, int8 widened without sitofp, plain scalar; gates: the shipped scalar loop, then four lanes at a time):');
    console.log(`${pad('shape', 7)}${pad('part', 20)}${lpad('rows x k', 10)}${lpad('/step', 6)}${lpad('fp32', 8)}${lpad('GFLOP/s', 8)}${lpad('2-row', 8)}` +
      `${lpad('int8', 8)}${lpad('int8fix', 8)}${lpad('plain', 8)}${lpad('gates', 8)}${lpad('simd', 8)}`);
    for (const p of parts)
      console.log(`${pad(p.shape, 7)}${pad(p.what, 20)}${lpad(p.gate ? `H ${p.rows}` : `${p.rows}x${p.kpad}`, 10)}${lpad(p.count, 6)}` +
        (p.gate ? `${lpad('', 48)}${lpad(fmt(p.simd, 2), 8)}${lpad(fmt(p.fix, 2), 8)}`
          : `${lpad(fmt(p.simd, 2), 8)}${lpad(fmt(p.gflops, 1), 8)}${lpad(fmt(p.x2, 2), 8)}${lpad(fmt(p.int8, 2), 8)}${lpad(fmt(p.fix, 2), 8)}${lpad(fmt(p.plain, 2), 8)}`));
    for (const s of opt.shapes) {
      const ps = parts.filter((p) => p.shape === s);
      const sum = (f) => ps.reduce((a, p) => a + f(p) * p.count, 0);
      const mv = sum((p) => (p.gate ? 0 : p.simd)), g = sum((p) => (p.gate ? p.simd : 0)), gf = sum((p) => (p.gate ? p.fix : 0));
      const q = sum((p) => (p.gate ? 0 : p.int8)), qf = sum((p) => (p.gate ? 0 : p.fix));
      const loop = summary[s]['serce-simd-f32-loop'];
      console.log(`${pad(s, 7)}per step: fp32 matvecs ${fmt(mv, 1)} µs + gates ${fmt(g, 1)} µs (${fmt((100 * g) / (mv + g), 0)}% gates; SIMD gates ${fmt(gf, 1)} µs); ` +
        `int8 matvecs ${fmt(q, 1)} µs (fixed ${fmt(qf, 1)} µs)${loop ? `; measured fp32 C loop ${fmt(1e6 / loop.best, 1)} µs/char` : ''}`);
    }
  }
  if (visits && visits.length) {
    const rep = visits.filter((v) => v.visit !== 'first');
    const med = (k) => median(rep.map((v) => v[k]));
    console.log(`\nTime to first character: ${opt.site}, default model, ?seed=1&length=50, ms from navigation start (${loads})`);
    console.log('(DCL: DOMContentLoaded; worker: new Worker(); w.run: the worker\'s script starts; glue: serce-*.js loaded; wasm: .wasm');
    console.log(' fetched; mdl get: the model file fetched, in the worker; ready: the worker\'s ready message; mdl req: the page');
    console.log(' sends fetchModel; gen: the page sends generate; 1st char: text in #lyrics (the time reported); frame: the');
    console.log(' animation frame after it has run; model: the model message; done: 50 characters written;');
    console.log(' in the worker: w.mod module instantiated, w.copy model bytes in wasm memory, w.load model loaded,');
    console.log(' w.bytes the model bytes in hand, w.warm the warm-up started (the bytes were not there yet),');
    console.log(' w.gen generate request handled, w.text first text posted)');
    const cols = [['DCL', 'dom_content_loaded_ms'], ['worker', 'worker_created_ms'], ['w.run', 'worker_started_ms'], ['glue', 'glue_loaded_ms'],
      ['wasm', 'wasm_fetched_ms'], ['mdl get', 'model_fetched_ms'], ['ready', 'wasm_ready_ms'], ['mdl req', 'model_requested_ms'],
      ['gen', 'generate_sent_ms'], ['w.mod', 'w_module_ms'], ['w.copy', 'w_model_copied_ms'], ['w.load', 'w_model_loaded_ms'],
      ['w.bytes', 'w_model_bytes_ms'], ['w.warm', 'w_warm_up_ms'], ['w.gen', 'w_generate_ms'], ['w.text', 'w_first_text_ms'], ['1st char', 'first_char_ms'], ['frame', 'first_frame_ms'], ['model', 'model_loaded_ms'], ['done', 'done_ms']];
    console.log(`${pad('visit', 9)}${cols.map(([h]) => lpad(h, 9)).join('')}  requests to the server`);
    for (const v of visits)
      console.log(`${pad(v.visit, 9)}${cols.map(([, k]) => lpad(fmt(v[k]), 9)).join('')}  ${v.server_requests.length}: ${v.server_requests.join(' ')}`);
    console.log(`${pad('median', 9)}${cols.map(([, k]) => lpad(fmt(median(rep.map((v) => v[k] ?? NaN))), 9)).join('')}  (repeat visits)`);
    console.log(`repeat visits: first character median ${fmt(med('first_char_ms'), 1)} ms, best ${fmt(Math.min(...rep.map((v) => v.first_char_ms)), 1)} ms; ` +
      `its frame median ${fmt(med('first_frame_ms'), 1)} ms; first visit ${fmt(visits[0].first_char_ms, 1)} ms`);
    later.push({ kind: 'ttfc_summary', repeat_visits: rep.length, first_char_median_ms: Number(med('first_char_ms').toFixed(1)),
      first_char_best_ms: Number(Math.min(...rep.map((v) => v.first_char_ms)).toFixed(1)), first_frame_median_ms: Number(med('first_frame_ms').toFixed(1)),
      first_visit_ms: visits[0].first_char_ms });
  }
  console.log('');
  for (const o of later) emit(o);
}

// ---------------------------------------------------------------- main
async function main() {
  if (opt.ttfcOnly) {
    if (!existsSync(join(opt.site, 'index.html'))) die(`missing ${join(opt.site, 'index.html')} (build first: cmake --build build)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      report({ results: {}, info: {}, live: [], parts: null }, await ttfc(browser));
    } finally {
      await browser.close();
    }
    return;
  }
  const missing = [CLI, join(SITE, 'index.html'), join(SITE, 'serce-simd.wasm'), join(NM, 'onnxruntime-web'), join(NM, '@tensorflow', 'tfjs-backend-wasm')]
    .filter((p) => !existsSync(p));
  if (missing.length) die(`missing ${missing.join(', ')} (build first: cmake --build build; and npm install)`);
  const models = prepareModels();
  const wasm = buildBenchWasm();
  const root = assemble(models, wasm);
  log(`serving ${root}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const tp = await throughput(browser, root);
    const visits = opt.ttfc ? await ttfc(browser) : null;
    report(tp, visits);
  } finally {
    await browser.close();
    if (!opt.keep) rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

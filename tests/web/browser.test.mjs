// browser.test.mjs — the site in headless Chromium (playwright-core driving /usr/bin/chromium).
// Serves build/site with tests/web/serve.mjs (which also sends the page's CSP as a header, so the
// worker and the wasm instantiation are held to it) and checks, in fresh browser contexts:
// loading, streaming, Stop, permalinks (also against `serce sample`), the plain fallback, broken and
// own model files (file input and drag and drop), the keyboard, the language toggle (also of an error
// already shown), the model card (also after a permalink's song, which is drawn first), main-thread
// responsiveness during generation, a sub-path with the service worker and offline use,
// no console errors and no request outside the origin. The lyric features: song form, metre and rhyme
// (the report, the permalink and the shown command, run as shown, give the same song), the originality
// meter (<mark> around copied text, no markup parsed, the same spans as natively) on a model of our own
// text with its index, and co-writing (continue at the cursor, suggestions as natively, insertion).
// Screenshots go to build/test-output/.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { execFileSync } from 'node:child_process';

import {
  asCliOutput, CLI, cliSample, cliSampleSettings, OUTPUT, probe, probeNextWords, probeOriginality, readBytes, SITE, TEXT, trainTestModel,
} from './common.mjs';
import { startServer } from './serve.mjs';

const CHROMIUM = process.env.SERCE_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];
// the site's default model, whatever www/models/index.json names, and the corpus its card must show
const SITE_DEFAULT = JSON.parse(readFileSync(join(SITE, 'models', 'index.json'), 'utf8')).default;
const SITE_MODEL = join(SITE, 'models', SITE_DEFAULT);
const siteCorpus = () => {
  const info = JSON.parse(execFileSync(CLI, ['info', SITE_MODEL, '--json'], { encoding: 'utf8' }));
  return new RegExp(info.training.corpus.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
};
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let browser, server, tm;
const contexts = [];

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  server = await startServer({ root: SITE });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  tm = trainTestModel();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.close();
  if (tm) tm.cleanup();
});

// long tasks (PerformanceObserver) and main-thread timer drift, recorded from the first script on
const INIT = () => {
  window.__lt = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__lt.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    window.__ltSupported = PerformanceObserver.supportedEntryTypes.includes('longtask');
  } catch (e) {
    window.__ltSupported = false;
  }
};

async function open(url, { viewport = DESKTOP, serviceWorkers = 'block', colorScheme = 'light', isMobile = false } = {}) {
  const ctx = await browser.newContext({ viewport, serviceWorkers, colorScheme, isMobile, hasTouch: isMobile, locale: 'tr-TR',
    deviceScaleFactor: 1 });
  contexts.push(ctx);
  const log = { errors: [], warnings: [], requests: [] };
  ctx.on('request', (r) => log.requests.push(r.url()));
  const page = await ctx.newPage();
  const onConsole = (m) => {
    if (m.type() === 'error') log.errors.push(m.text());
    else if (m.type() === 'warning') log.warnings.push(m.text());
  };
  page.on('console', onConsole);
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', onConsole));
  await page.addInitScript(INIT);
  await page.goto(url);
  return { ctx, page, log };
}

const ready = (page) => page.waitForFunction(() => !document.getElementById('generate').disabled, null, { timeout: 60000 });
const done = (page) => page.waitForFunction(() => window.__serce && !window.__serce.state.gen &&
  document.getElementById('lyrics').textContent.length > 0, null, { timeout: 60000 });
const lyrics = (page) => page.$eval('#lyrics', (e) => e.textContent);

function checkClean(log, origin = new URL(server.url).origin) {
  assert.deepEqual(log.errors, [], 'no console errors');
  const foreign = log.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, [], 'no request outside the origin');
  assert.ok(log.requests.length > 0);
}

async function setSettings(page, s) {
  await page.evaluate((s) => {
    const set = (id, v) => {
      const e = document.getElementById(id);
      e.value = String(v);
      e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
    };
    set('prime', s.prime);
    set('temperature', s.temperature);
    set('unit', s.length ? 'length' : 'songs');
    set('amount', s.length || s.songs);
    set('seed', s.seed);
    document.getElementById('auto-seed').checked = false;
    set('top-k', s.top_k);
    set('top-p', s.top_p);
    // the song settings: off unless given (the page's defaults are on)
    const preset = (name, v) => {
      const sel = document.getElementById(`${name}-preset`);
      const known = [...sel.options].some((o) => o.value === v && v !== 'custom');
      set(`${name}-preset`, known ? v : 'custom');
      if (!known) set(`${name}-custom`, v);
    };
    preset('form', s.form || '');
    set('lines', s.lines_per_stanza || 4);
    preset('syllables', s.syllables || '');
    preset('rhyme', s.rhyme || '');
    document.getElementById('repetition').checked = !!(s.repetition_penalty && s.repetition_penalty !== 1);
    if (s.repetition_penalty) set('penalty', s.repetition_penalty);
    document.getElementById('avoid-copying').checked = !!s.avoid_copying;
  }, s);
}

// the report, once the originality meter has answered
const reported = (page) => page.waitForFunction(() => {
  const r = window.__serce.state.report;
  return !window.__serce.state.gen && r && r.orig !== undefined;
}, null, { timeout: 120000 });

const SETTINGS = { prime: 'Gece', seed: 424242, temperature: 0.9, top_k: 0, top_p: 0.95, length: 500 };
let permalinkText = null;

describe('the page', () => {
  test('loads the default model with the SIMD build and shows its card', async () => {
    // index.html names the default model for boot.js, which has the worker fetch it before the list is read
    const hint = /<meta name="serce-model" content="([^"]*)">/.exec(readFileSync(join(SITE, 'index.html'), 'utf8'));
    assert.ok(hint, 'index.html has the serce-model hint');
    assert.equal(hint[1], SITE_DEFAULT, 'the hint in index.html is models/index.json\'s default');
    const { page, log } = await open(server.url);
    await ready(page);
    assert.equal(await page.textContent('#flavour'), 'simd');
    assert.match(await page.textContent('#kernel'), /simd128/);
    assert.match(await page.textContent('#model-name'), /Sezen Aksu/);
    assert.equal(await page.getAttribute('html', 'lang'), 'tr');
    const prog = await page.$eval('#load-progress', (p) => [p.value, p.max]);
    assert.equal(prog[0], prog[1]);
    const card = await page.textContent('#card-facts');
    assert.match(card, siteCorpus());
    assert.match(card, /bit\/karakter/);
    assert.equal(await page.$$eval('#curve svg polyline', (l) => l.length), 2);
    // every control has a label
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, button, textarea')]
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
      .map((e) => e.id || e.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabelled, []);
    checkClean(log);
  });

  test('streams lyrics into #lyrics, Stop halts at once, the main thread never blocks', async () => {
    const { page, log } = await open(server.url);
    await ready(page);
    // a long run to the end, watching the main thread: long tasks and the gaps of a 5 ms timer
    await setSettings(page, { prime: '', seed: 99, temperature: 0.8, top_k: 0, top_p: 0.95, length: 20000 });
    const run = await page.evaluate(() => new Promise((resolve) => {
      const lyr = document.getElementById('lyrics');
      const seen = [];
      let max = 0, last = performance.now();
      const start = last;
      const timer = setInterval(() => {
        const now = performance.now();
        max = Math.max(max, now - last);
        last = now;
        const n = lyr.textContent.length;
        if (n > 0 && (!seen.length || n > seen[seen.length - 1])) seen.push(n);
        if (!window.__serce.state.gen && n > 0) {
          clearInterval(timer);
          resolve({ seen: seen.length, final: n, ms: now - start, drift: max, supported: window.__ltSupported,
            long: window.__lt.filter((e) => e.start >= start).map((e) => Math.round(e.duration)) });
        }
      }, 5);
      document.getElementById('generate').click();
    }));
    const speed = Number((await page.textContent('#speed')).replace(/\D/g, ''));
    console.log(`# 20000 characters in ${Math.round(run.ms)} ms (${speed} chars/s shown), streamed in ${run.seen} visible steps; ` +
      `longtask entries ${JSON.stringify(run.long)} (longtask supported: ${run.supported}), max timer gap ${run.drift.toFixed(1)} ms`);
    assert.equal(run.final, (await lyrics(page)).length);
    assert.ok(run.seen >= 5, `the text grew in steps (${run.seen})`);
    assert.ok(speed > 0, 'speed shown');
    assert.match(await page.textContent('#load-text'), /Bitti/);
    assert.deepEqual(run.long.filter((d) => d > 50), [], 'no long task over 50 ms');
    // the timer gap also counts time the OS gave to other processes (2 cores, a busy worker): a loose bound
    assert.ok(run.drift < 250, `timer gap ${run.drift} ms`);

    // Stop in the middle of a run: the text stops growing at once
    await setSettings(page, { prime: '', seed: 100, temperature: 0.8, top_k: 0, top_p: 0.95, length: 20000 });
    const stop = await page.evaluate(() => new Promise((resolve) => {
      const lyr = document.getElementById('lyrics');
      const seen = [];
      const timer = setInterval(() => {
        const n = lyr.textContent.length;
        if (n > 0 && (!seen.length || n > seen[seen.length - 1])) seen.push(n);
        if (seen.length >= 4) {
          clearInterval(timer);
          document.getElementById('stop').click();
          resolve({ seen, atStop: lyr.textContent.length });
        }
      }, 5);
      document.getElementById('generate').click();
    }));
    assert.ok(stop.atStop < 20000, `stopped before the end (${stop.seen})`);
    await page.waitForTimeout(800);
    assert.equal((await lyrics(page)).length, stop.atStop, 'the text stops growing');
    assert.equal(await page.$eval('#generate', (b) => b.disabled), false);
    assert.equal(await page.$eval('#stop', (b) => b.disabled), true);
    assert.match(await page.textContent('#load-text'), /Durduruldu/);
    // and a new run works after Stop
    await setSettings(page, { prime: 'Ben', seed: 5, temperature: 0.8, top_k: 0, top_p: 0.95, length: 200 });
    await page.click('#generate');
    await done(page);
    assert.ok((await lyrics(page)).startsWith('Ben'));
    checkClean(log);
  });

  test('a permalink reproduces the same lyrics, which match serce sample', async () => {
    const { page, log } = await open(server.url);
    await ready(page);
    await setSettings(page, SETTINGS);
    await page.click('#generate');
    await done(page);
    const text = await lyrics(page);
    const cli = cliSample(SITE_MODEL, SETTINGS);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(asCliOutput(text), cli.stdout, 'byte-identical to the CLI');
    assert.equal(await page.textContent('#cli'),
      `serce sample ${SITE_DEFAULT} --prime Gece --seed 424242 --temperature 0.9 --top-k 0 --top-p 0.95 --length 500`);
    const href = await page.$eval('#permalink', (a) => a.href);
    const q = new URL(href).searchParams;
    assert.equal(q.get('model'), SITE_DEFAULT);
    assert.equal(q.get('prime'), 'Gece');
    assert.equal(q.get('seed'), '424242');
    assert.equal(q.get('temperature'), '0.9');
    assert.equal(q.get('length'), '500');
    // copy link and copy text
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
    await page.click('#copy-link');
    await page.waitForFunction(() => document.getElementById('copied').textContent.length > 0);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), href);
    await page.click('#copy-text');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
    checkClean(log);

    const second = await open(href);
    await done(second.page);
    assert.equal(await lyrics(second.page), text, 'same text from the permalink');
    assert.equal(await second.page.inputValue('#seed'), '424242');
    assert.equal(await second.page.inputValue('#prime'), 'Gece');
    // the model's facts and card come after the song's first text, and do come
    await second.page.waitForFunction(() => document.querySelectorAll('#curve svg polyline').length === 2, null, { timeout: 30000 });
    assert.match(await second.page.textContent('#card-facts'), siteCorpus());
    assert.match(await second.page.textContent('#model-name'), /Sezen Aksu/);
    assert.match(await second.page.textContent('#load-text'), /Bitti/);
    checkClean(second.log);
    permalinkText = { href, text };
  });

  test('?simd=0 falls back to the plain build, with the same lyrics', async () => {
    const href = permalinkText ? permalinkText.href : `${server.url}?model=${SITE_DEFAULT}&prime=Gece&seed=424242&temperature=0.9&top_k=0&top_p=0.95&length=500`;
    const { page, log } = await open(`${href}&simd=0`);
    await done(page);
    assert.equal(await page.textContent('#flavour'), 'plain');
    assert.match(await page.textContent('#kernel'), /ref/);
    assert.equal(asCliOutput(await lyrics(page)), cliSample(SITE_MODEL, SETTINGS).stdout);
    checkClean(log);
  });

  test('a link with a bad setting or an unknown model says so and does not run', async () => {
    const a = await open(`${server.url}?seed=abc&length=100`);
    await ready(a.page);
    assert.equal(await a.page.textContent('#error'), 'Bağlantıdaki “seed” ayarı geçersiz; sözler kendiliğinden yazılmadı.');
    assert.equal(await lyrics(a.page), '');
    // the banner follows the language, both ways
    await a.page.click('#lang');
    assert.equal(await a.page.textContent('#error'), 'The setting “seed” in the link is not valid, so nothing was written automatically.');
    await a.page.click('#lang');
    assert.equal(await a.page.textContent('#error'), 'Bağlantıdaki “seed” ayarı geçersiz; sözler kendiliğinden yazılmadı.');
    const b = await open(`${server.url}?model=nope.safetensors&seed=3&length=100`);
    await ready(b.page);
    assert.match(await b.page.textContent('#error'), /nope\.safetensors/);
    await b.page.waitForTimeout(300);
    assert.equal(await lyrics(b.page), '');
    await b.page.click('#lang');
    assert.equal(await b.page.textContent('#error'), 'The model in the link (nope.safetensors) is not on this site; the default model was loaded.');
    checkClean(a.log);
    checkClean(b.log);
  });

  test('a corrupted model file shows the loader error and the page stays usable', async () => {
    const { page, log } = await open(server.url);
    await ready(page);
    const good = readBytes(tm.model);
    const broken = good.slice(0, Math.floor(good.length / 2));
    const badPath = join(tm.dir, 'broken.safetensors');
    writeFileSync(badPath, broken);
    const expected = probe(badPath, { prime: '', seed: 1, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 1 }, 16).error;
    assert.ok(expected);
    await page.setInputFiles('#model-file', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(broken) });
    await page.waitForSelector('#error:not([hidden])');
    const msg = await page.textContent('#error');
    assert.ok(msg.includes(expected), `${msg} should include ${expected}`);
    await page.screenshot({ path: join(OUTPUT, 'web-error-desktop.png') });
    assert.match(await page.textContent('#model-name'), /Sezen Aksu/);
    // not a model at all
    await page.setInputFiles('#model-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('merhaba dünya, bu bir model değil\n'.repeat(5)) });
    await page.waitForFunction(() => !document.getElementById('error').textContent.includes('safetensors') || true);
    await page.waitForTimeout(300);
    assert.ok(!(await page.isHidden('#error')));
    // still usable with the previous model
    await setSettings(page, { prime: 'Gece', seed: 11, temperature: 0.8, top_k: 0, top_p: 0.95, length: 120 });
    await page.click('#generate');
    await done(page);
    assert.equal(asCliOutput(await lyrics(page)),
      cliSample(SITE_MODEL, { prime: 'Gece', seed: 11, temperature: 0.8, top_k: 0, top_p: 0.95, length: 120 }).stdout);
    checkClean(log);
  });

  test('a WebAssembly load failure shows a clear message and the page stays usable', async () => {
    // a copy of the site whose .wasm files are not WebAssembly (request interception does not reach workers)
    const dir = mkdtempSync(join(tmpdir(), 'serce-badwasm-'));
    cpSync(SITE, dir, { recursive: true });
    for (const f of ['serce-simd.wasm', 'serce-plain.wasm']) writeFileSync(join(dir, f), 'this is not WebAssembly');
    const bad = await startServer({ root: dir });
    try {
      const ctx = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block', locale: 'tr-TR' });
      contexts.push(ctx);
      const page = await ctx.newPage();
      await page.goto(bad.url);
      await page.waitForSelector('#error:not([hidden])', { timeout: 60000 });
      assert.match(await page.textContent('#error'), /WebAssembly başlatılamadı/);
      assert.ok(await page.isDisabled('#generate'), 'nothing to generate with');
      await page.click('#lang'); // the page still answers, and the banner in English
      assert.equal(await page.textContent('#lang'), 'Türkçe');
      assert.match(await page.textContent('#error'), /^WebAssembly could not start: /);
      await page.screenshot({ path: join(OUTPUT, 'web-wasm-failure-desktop.png') });
    } finally {
      await bad.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('your own model loads by file input and by drag and drop; its metadata is shown as text', async () => {
    const { page, log } = await open(server.url);
    await ready(page);
    // a valid model whose metadata tries to inject markup
    const crafted = withTraining(readBytes(tm.model), (t) => ({ ...t, corpus: '<img src=x id=pwn onerror="window.__pwned=1">' }),
      { 'serce.card': '<b id="bold">not bold</b>' });
    const craftedPath = join(tm.dir, 'crafted.safetensors');
    writeFileSync(craftedPath, crafted);
    await page.setInputFiles('#model-file', { name: 'crafted.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(crafted) });
    await page.waitForFunction(() => document.getElementById('model-name').textContent.includes('crafted.safetensors'));
    const card = await page.textContent('#card-facts');
    assert.ok(card.includes('<img src=x id=pwn'), 'the markup is shown as text');
    assert.ok(card.includes('<b id="bold">not bold</b>'));
    assert.equal(await page.$('#pwn'), null);
    assert.equal(await page.$('#bold'), null);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const s = { prime: 'Gece', seed: 3, temperature: 0.8, top_k: 0, top_p: 0.95, length: 150 };
    await setSettings(page, s);
    await page.click('#generate');
    await done(page);
    assert.equal(asCliOutput(await lyrics(page)), cliSample(craftedPath, s).stdout);
    assert.match(await page.textContent('#permalink-note'), /kendi dosyanızla/);

    // drag and drop the site model back in
    const siteBytes = [...readBytes(SITE_MODEL)];
    await page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'dropped.safetensors', { type: 'application/octet-stream' }));
      document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, siteBytes);
    await page.waitForFunction(() => document.getElementById('model-name').textContent.includes('dropped.safetensors'));
    assert.ok(await page.isHidden('#drop-overlay'));
    assert.match(await page.textContent('#card-facts'), siteCorpus());
    checkClean(log);
  });

  test('keyboard: Enter in the first line writes, Escape stops; the language choice is remembered', async () => {
    const { page, log } = await open(server.url);
    await ready(page);
    await page.fill('#amount', '20000');
    await page.selectOption('#unit', 'length');
    await page.fill('#amount', '20000');
    await page.focus('#prime');
    await page.keyboard.type('Ben');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('lyrics').textContent.length > 20);
    assert.equal(await page.$eval('#stop', (b) => b.disabled), false);
    await page.keyboard.press('Escape');
    const n = (await lyrics(page)).length;
    await page.waitForTimeout(400);
    assert.equal((await lyrics(page)).length, n);
    assert.ok((await lyrics(page)).startsWith('Ben'));
    // focus is visible
    await page.focus('#generate');
    const outline = await page.$eval('#generate', (b) => getComputedStyle(b).outlineStyle);
    assert.notEqual(outline, 'none');
    // language
    await page.click('#lang');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('#generate'), 'Write');
    assert.equal(await page.textContent('#lang'), 'Türkçe');
    await page.reload();
    await ready(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('#stop'), 'Stop');
    assert.match(await page.textContent('#card-facts'), /bits per character/);
    checkClean(log);
  });

  test('song form, metre and rhyme: the report is shown; the permalink and the shown command give the same song', async () => {
    const SONG = { prime: 'Gece', seed: 31, temperature: 0.8, top_k: 0, top_p: 0.95, songs: 1, form: 'K4 N2 K4 N2', lines_per_stanza: 4,
      syllables: '8', rhyme: 'AABB', repetition_penalty: 1.2, avoid_copying: true };
    const { page, log } = await open(server.url);
    await ready(page);
    assert.equal(await page.$eval('#avoid-copying', (b) => b.checked && !b.disabled), true, 'on by default: the model has an index');
    await setSettings(page, SONG);
    await page.click('#generate');
    await reported(page);
    const text = await lyrics(page);
    const cli = cliSample(SITE_MODEL, SONG);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(asCliOutput(text), cli.stdout, 'byte-identical to the CLI');
    // the report: the core's counts, as the CLI reports them
    const [, rm, rn] = /rhyme: (\d+) of (\d+) required/.exec(cli.stderr);
    const [, mm, mn] = /metre: (\d+) of (\d+) lines/.exec(cli.stderr);
    assert.equal(rn, '5');
    assert.equal(mn, '10');
    const craft = await page.textContent('#report-craft');
    assert.ok(craft.includes(`${rm}/${rn} kafiye tuttu`), craft);
    assert.ok(craft.includes(`${mm}/${mn} satır 8 hece`), craft);
    assert.match(await page.textContent('#report-orig'), /%\d+([,.]\d)? yeni/);
    // the sheet: title, then verse, chorus, verse and the chorus again, word for word
    const blocks = await page.$$eval('#lyrics .song > span', (l) => l.map((e) => [e.className, e.textContent.trim()]));
    assert.deepEqual(blocks.map((b) => b[0]), ['title', 'stanza', 'stanza', 'stanza', 'stanza']);
    assert.equal(blocks[2][1], blocks[4][1], 'the chorus repeats');
    assert.equal(blocks[2][1].split('\n').length, 2);
    // the command the page shows, run as shown
    const cmd = await page.textContent('#cli');
    assert.equal(cmd, `serce sample ${SITE_DEFAULT} --prime Gece --seed 31 --temperature 0.8 --top-k 0 --top-p 0.95 --songs 1 ` +
      "--form 'K4 N2 K4 N2' --lines-per-stanza 4 --syllables 8 --rhyme AABB --repetition-penalty 1.2 --avoid-copying");
    const shown = execFileSync('sh', ['-c', cmd.replace(`serce sample ${SITE_DEFAULT}`, `'${CLI}' sample '${SITE_MODEL}' -q`)], { encoding: 'utf8' });
    assert.equal(shown, cli.stdout);
    // the permalink
    const href = await page.$eval('#permalink', (a) => a.href);
    const q = new URL(href).searchParams;
    for (const [k, v] of [['form', 'K4 N2 K4 N2'], ['lines_per_stanza', '4'], ['syllables', '8'], ['rhyme', 'AABB'],
      ['repetition_penalty', '1.2'], ['avoid_copying', '1'], ['songs', '1'], ['seed', '31']]) assert.equal(q.get(k), v, k);
    await page.screenshot({ path: join(OUTPUT, 'web-song-form-desktop.png'), fullPage: true });
    checkClean(log);
    for (const suffix of ['', '&simd=0']) {
      const second = await open(href + suffix);
      await reported(second.page);
      assert.equal(await lyrics(second.page), text, `same text from the permalink${suffix}`);
      assert.equal(await second.page.textContent('#report-craft'), craft);
      assert.equal(await second.page.inputValue('#form-preset'), 'custom');
      assert.equal(await second.page.inputValue('#form-custom'), 'K4 N2 K4 N2');
      assert.ok(await second.page.isVisible('#form-custom'));
      assert.equal(await second.page.inputValue('#syllables-preset'), '8');
      assert.equal(await second.page.inputValue('#rhyme-preset'), 'AABB');
      assert.equal(await second.page.$eval('#repetition', (b) => b.checked), true);
      assert.equal(await second.page.$eval('#avoid-copying', (b) => b.checked), true);
      checkClean(second.log);
    }
    // an old link (before these settings) still means them off
    const old = await open(`${server.url}?model=${SITE_DEFAULT}&prime=Gece&seed=11&temperature=0.8&top_k=0&top_p=0.95&length=120`);
    await done(old.page);
    assert.equal(await old.page.inputValue('#form-preset'), '');
    assert.equal(await old.page.$eval('#avoid-copying', (b) => b.checked), false);
    assert.equal(asCliOutput(await lyrics(old.page)),
      cliSample(SITE_MODEL, { prime: 'Gece', seed: 11, temperature: 0.8, top_k: 0, top_p: 0.95, length: 120 }).stdout);
    checkClean(old.log);
  });

  test('the originality meter marks what is copied from the training songs with <mark>, as text only', async () => {
    // a model of our own text plus a song of ours full of markup, exported with the index of that text
    const dir = mkdtempSync(join(tmpdir(), 'serce-orig-'));
    const corpus = join(dir, 'ornek-markup.txt');
    const markupLine = '<img src=x onerror="window.__pwned=1"> & <b id="bold">kalın</b> bir söz';
    writeFileSync(corpus, `${readFileSync(TEXT, 'utf8').trimEnd()}\n\n# <i>Etiket</i>\n\n${markupLine}\nBu da bizim uydurduğumuz bir dize\n`);
    const tm2 = trainTestModel({ text: corpus, withIndex: true });
    try {
      const { page, log } = await open(server.url);
      await ready(page);
      // a model without an index: the checkbox is off and disabled, and the meter says so quietly
      await page.setInputFiles('#model-file', { name: 'plain.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(readBytes(tm.model)) });
      await page.waitForFunction(() => document.getElementById('model-name').textContent.includes('plain.safetensors'));
      assert.equal(await page.$eval('#avoid-copying', (b) => b.checked || !b.disabled), false);
      assert.match(await page.textContent('#avoid-hint'), /özgünlük dizini yok/);
      await setSettings(page, { prime: 'Gece', seed: 3, temperature: 0.8, top_k: 0, top_p: 0.95, length: 60 });
      await page.click('#generate');
      await reported(page);
      assert.match(await page.textContent('#report-orig'), /özgünlük dizini yok/);
      assert.equal(await page.$$eval('#lyrics mark', (l) => l.length), 0);

      await page.setInputFiles('#model-file', { name: 'indexed.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(readBytes(tm2.indexed)) });
      await page.waitForFunction(() => document.getElementById('model-name').textContent.includes('indexed.safetensors'));
      assert.equal(await page.$eval('#avoid-copying', (b) => b.disabled), false);
      const own = readFileSync(TEXT, 'utf8').split('\n');
      const s = { prime: `Yeni Söz\nBambaşka bir dize burada\n${markupLine}\n${own[2]}\n${own[3]}`, seed: 5, temperature: 0.8, top_k: 0, top_p: 0.95, length: 60 };
      await setSettings(page, s);
      await page.click('#generate');
      await reported(page);
      const text = await lyrics(page);
      assert.equal(asCliOutput(text), cliSample(tm2.indexed, s).stdout, 'the marks change no text');
      const marks = await page.$$eval('#lyrics mark', (l) => l.map((m) => ({ text: m.textContent, attrs: m.getAttributeNames(), kids: [...m.childNodes].map((n) => n.nodeType) })));
      assert.ok(marks.length >= 1);
      const marked = marks.map((m) => m.text).join('|');
      assert.ok(marked.includes('img src=x onerror="window.__pwned=1"> & <b id="bold">kal'), marked);
      assert.ok(marked.includes(own[2].slice(3)) && marked.includes(own[3].slice(0, -3)), marked);
      assert.ok(!marked.includes('Bambaşka'), marked);
      for (const m of marks) {
        assert.deepEqual(m.attrs.filter((a) => a !== 'title'), [], 'no attribute but the title');
        assert.ok(m.kids.every((k) => k === 3), 'text only inside');
      }
      // nothing was parsed as markup
      assert.deepEqual(await page.$$eval('#lyrics *', (l) => [...new Set(l.map((e) => e.tagName))].sort()), ['DIV', 'MARK', 'SPAN']);
      assert.equal(await page.$('#bold'), null);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      // the same spans as the native API; the novelty shown
      const state = await page.evaluate(() => window.__serce.state.report.orig);
      assert.deepEqual(state, probeOriginality(tm2.indexed, text));
      const pct = await page.textContent('#report-orig');
      assert.match(pct, /^%\d+ yeni/);
      assert.ok(pct.includes(`%${Math.round(100 * state.novelty)} yeni`), pct);
      assert.match(pct, /İşaretli yerler/);
      await page.locator('#sheet').screenshot({ path: join(OUTPUT, 'web-originality-desktop.png') });
      checkClean(log);
    } finally {
      tm2.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('co-writing: Serçe continues at the cursor; the next letters and words are offered and inserted', async () => {
    const { page, log } = await open(server.url);
    await ready(page);
    await page.uncheck('#auto-seed');
    await page.fill('#seed', '77');
    await page.click('#cowrite-toggle');
    assert.equal(await page.getAttribute('#cowrite-toggle', 'aria-pressed'), 'true');
    assert.ok(await page.isVisible('#cowrite') && await page.isHidden('#lyrics'));
    assert.equal(await page.$eval('#generate', (b) => b.disabled), true, 'Yaz waits while co-writing');
    const before = 'Gece Yarısı\n\nSeni bekledim sabaha dek\n', after = 'Son dize burada kalır';
    await page.fill('#cowrite', before + after);
    await page.evaluate((n) => { const ta = document.getElementById('cowrite'); ta.focus(); ta.setSelectionRange(n, n); ta.dispatchEvent(new KeyboardEvent('keyup')); }, before.length);
    // suggestions for the text before the cursor, as the native API gives them
    await page.waitForFunction((b) => window.__serce.state.sugPrime === b && document.querySelectorAll('#suggest-chars button').length > 0, before, { timeout: 30000 });
    const items = await page.evaluate(() => window.__serce.state.sugItems);
    assert.deepEqual(items, probeNextWords(SITE_MODEL, before, 8, 24));
    assert.ok(await page.$$eval('#suggest-words button', (l) => l.length) >= 1);
    // Ctrl+Enter: one line at the cursor
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => !window.__serce.state.gen && window.__serce.state.lastCowrite, null, { timeout: 60000 });
    const value = await page.inputValue('#cowrite');
    assert.ok(value.startsWith(before) && value.endsWith(after), JSON.stringify(value));
    const inserted = value.slice(before.length, value.length - after.length);
    assert.ok(inserted.trim().length > 0 && !inserted.includes('\n'), JSON.stringify(inserted));
    const caret = await page.$eval('#cowrite', (ta) => ta.selectionStart);
    assert.equal(caret, before.length + inserted.length, 'the cursor follows the inserted text');
    // the same as serce sample from that prime with those settings (song mode, the page's defaults)
    const run = await page.evaluate(() => window.__serce.state.lastCowrite);
    assert.equal(run.prime, before);
    assert.equal(run.settings.form, 'K N K N');
    assert.equal(run.settings.avoid_copying, true);
    const cli = cliSampleSettings(SITE_MODEL, run.prime, run.settings);
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(cli.stdout.startsWith(before + inserted + '\n'), JSON.stringify(cli.stdout.slice(0, 200)));
    // click a suggested letter: it goes in at the cursor
    await page.waitForFunction((n) => {
      const st = window.__serce.state, ta = document.getElementById('cowrite');
      return st.sugPrime === ta.value.slice(0, n) && !document.getElementById('suggest').classList.contains('stale');
    }, caret, { timeout: 30000 });
    await page.locator('#suggest-chars button').first().click();
    const v2 = await page.inputValue('#cowrite');
    assert.equal(v2.length, value.length + 1);
    assert.equal(v2.slice(0, caret), value.slice(0, caret));
    assert.equal(v2.slice(caret + 1), value.slice(caret));
    // a word
    await page.waitForFunction(() => !document.getElementById('suggest').classList.contains('stale') && document.querySelectorAll('#suggest-words button').length > 0, null, { timeout: 30000 });
    const wordItems = await page.evaluate(() => window.__serce.state.sugItems);
    await page.locator('#suggest-words button').first().click();
    const v3 = await page.inputValue('#cowrite');
    const w = v3.slice(caret + 1, v3.length - value.length + caret);
    assert.ok(wordItems.some((x) => x[2] === w), `${w} was offered`);
    await page.screenshot({ path: join(OUTPUT, 'web-cowrite-desktop.png') });
    // back to the sheet: the text as a song sheet, the originality meter; the link says the text was edited
    await page.click('#cowrite-toggle');
    await page.waitForFunction(() => window.__serce.state.report && window.__serce.state.report.orig !== undefined);
    assert.equal(await lyrics(page), v3);
    assert.ok(await page.isVisible('#report-orig'));
    assert.ok(await page.isHidden('#report-craft'));
    assert.equal(await page.$eval('#generate', (b) => b.disabled), false);
    checkClean(log);
  });

  test('screenshots: desktop and phone, light and dark', async () => {
    const link = `${server.url}?model=${SITE_DEFAULT}&prime=Sabah%20Ku%C5%9Fu%0APencereme&seed=8&temperature=0.8&top_k=0&top_p=0.95&songs=1` +
      '&form=K+N+K+N&lines_per_stanza=4&syllables=8&rhyme=ABAB&repetition_penalty=1.2&avoid_copying=1';
    for (const [name, viewport, scheme, isMobile] of [['desktop', DESKTOP, 'light', false], ['phone', PHONE, 'light', true],
      ['desktop-dark', DESKTOP, 'dark', false], ['phone-dark', PHONE, 'dark', true]]) {
      const { page, log } = await open(link, { viewport, colorScheme: scheme, isMobile });
      await reported(page);
      assert.ok(await page.isVisible('#report-craft') && await page.isVisible('#report-orig'));
      await page.screenshot({ path: join(OUTPUT, `web-${name}.png`) });
      if (!name.includes('dark')) {
        await page.screenshot({ path: join(OUTPUT, `web-${name}-full.png`), fullPage: true });
        for (const [part, sel] of [['share', '#share'], ['status', '#sheet .status'], ['card', '#card'], ['controls', '.controls'],
          ['song-shape', '#song-shape'], ['report', '#report']])
          await page.locator(sel).screenshot({ path: join(OUTPUT, `web-${name}-${part}.png`) });
      }
      // co-writing, with the next letters and words
      await page.click('#cowrite-toggle');
      await page.evaluate(() => { const ta = document.getElementById('cowrite'); const n = ta.value.indexOf('\n', 20); ta.focus(); ta.setSelectionRange(n, n); ta.dispatchEvent(new KeyboardEvent('keyup')); });
      await page.waitForFunction(() => document.querySelectorAll('#suggest-words button').length > 0 &&
        !document.getElementById('suggest').classList.contains('stale'), null, { timeout: 30000 });
      await page.locator('#sheet').screenshot({ path: join(OUTPUT, `web-${name}-cowrite.png`) });
      // nothing wider than the screen on the phone; touch targets are large enough
      if (isMobile) {
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 390, `page width ${wide}`);
        const small = await page.evaluate(() => [...document.querySelectorAll('button, select, input:not([type=checkbox]):not(.visually-hidden), .button, summary')]
          .filter((e) => e.offsetParent !== null)
          .map((e) => [e.id || e.className || e.tagName, Math.round(e.getBoundingClientRect().height), Math.round(e.getBoundingClientRect().width)])
          .filter(([, h, w]) => h < 44 || w < 44));
        assert.deepEqual(small, [], 'touch targets of at least 44 px');
      }
      checkClean(log);
    }
  });
});

describe('static hosting', () => {
  test('works from a sub-path, caches itself with the service worker and works offline', async () => {
    // a copy of the site, so that a "new build" can be simulated at the end
    const root = mkdtempSync(join(tmpdir(), 'serce-site-'));
    cpSync(SITE, root, { recursive: true });
    const sub = await startServer({ root, prefix: '/apps/serce/' });
    try {
      const { ctx, page, log } = await open(sub.url, { serviceWorkers: 'allow' });
      await ready(page);
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 })
        .catch(async () => { await page.reload(); await ready(page); });
      const caches = await page.evaluate(async () => {
        const keys = await caches.keys();
        const c = await caches.open(keys[0]);
        return { keys, urls: (await c.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search) };
      });
      assert.equal(caches.keys.length, 1);
      const version = await page.textContent('#build');
      assert.equal(caches.keys[0], `serce-${version}`);
      assert.ok(caches.urls.includes(`/apps/serce/models/${SITE_DEFAULT}`), caches.urls.join(' '));
      assert.ok(caches.urls.includes(`/apps/serce/serce-simd.wasm?v=${version}`), caches.urls.join(' '));
      // the Emscripten glue is bundled into worker.js (wasm/assemble-site.mjs): no script of its own
      assert.ok(!log.requests.some((u) => /serce-(simd|plain)\.js/.test(u)), log.requests.join(' '));
      assert.ok(!caches.urls.some((u) => /serce-(simd|plain)\.js/.test(u)), caches.urls.join(' '));
      assert.ok(log.requests.every((u) => u.startsWith(`${new URL(sub.url).origin}/apps/serce/`)), 'everything under the sub-path');
      checkClean(log, new URL(sub.url).origin);
      // offline
      await ctx.setOffline(true);
      const before = sub.requests.length;
      await page.goto(`${sub.url}?model=${SITE_DEFAULT}&prime=Gece&seed=424242&temperature=0.9&top_k=0&top_p=0.95&length=500`);
      await done(page);
      assert.equal(asCliOutput(await lyrics(page)), cliSample(SITE_MODEL, SETTINGS).stdout);
      assert.equal(sub.requests.length, before, 'nothing reached the server while offline');
      await ctx.setOffline(false);
      // a new build: sw.js changes, the new worker takes over and the old cache goes
      const swPath = join(root, 'sw.js');
      writeFileSync(swPath, readFileSync(swPath, 'utf8').replace(`const VERSION = '${version}'`, "const VERSION = 'newbuild'"));
      await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
      await page.waitForFunction(async () => {
        const keys = await caches.keys();
        return keys.length === 1 && keys[0] === 'serce-newbuild';
      }, null, { timeout: 30000, polling: 200 });
    } finally {
      await sub.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- helpers
// Rewrite a safetensors file's metadata: f(training) -> training, plus extra entries.
function withTraining(bytes, f, extra = {}) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const meta = header.__metadata__;
  meta['serce.training'] = JSON.stringify(f(JSON.parse(meta['serce.training'])));
  Object.assign(meta, extra);
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8) json += ' ';
  const hb = Buffer.from(json);
  const out = Buffer.alloc(8 + hb.length + (bytes.length - 8 - n));
  out.writeBigUInt64LE(BigInt(hb.length), 0);
  hb.copy(out, 8);
  Buffer.from(bytes.subarray(8 + n)).copy(out, 8 + hb.length);
  return new Uint8Array(out);
}

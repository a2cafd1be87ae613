#!/usr/bin/env node
// assemble-site.mjs — lays out the static site: www/ + the two wasm flavours + models.
//
//   node wasm/assemble-site.mjs --www www --wasm build/wasm --out build/site
//
// worker.js gets both flavours' Emscripten glue (serce-simd.js, serce-plain.js) bundled in, right
// after its 'use strict'; (each only defines its factory, SerceSimd / SercePlain), so the worker
// fetches one script and its .wasm instead of waiting on importScripts for the glue at start-up.
// The site has no separate glue scripts; www/worker.js alone, unbundled, still imports them.
// The build version is a hash of every file that goes into the site. It is stamped into
//  - index.html, sw.js and worker.js (the __SERCE_VERSION__ placeholder), so script, style and wasm
//    URLs carry ?v=VERSION (safe to cache first), and sw.js changes on every new build, which makes
//    the browser install the new service worker and drop the old cache;
//  - sw.js's precache list (__SERCE_PRECACHE__).
// models/index.json gets each model's real byte size. Run by the CMake target `site`.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`assemble-site: missing ${name} (usage: --www DIR --wasm DIR --out DIR)`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

const www = arg('--www'), wasm = arg('--wasm'), out = arg('--out');
const flavours = ['serce-simd.js', 'serce-simd.wasm', 'serce-plain.js', 'serce-plain.wasm'];
const glue = ['serce-simd.js', 'serce-plain.js'];

function walk(dir, base = dir, files = []) {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, base, files);
    else files.push(relative(base, p).split(sep).join('/'));
  }
  return files;
}

for (const f of flavours) {
  if (!existsSync(join(wasm, f))) {
    console.error(`assemble-site: ${join(wasm, f)} is missing (build wasm/ first)`);
    process.exit(1);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(www, out, { recursive: true, filter: (src) => !src.split(sep).pop().startsWith('.') || src === www });
for (const f of flavours) if (!glue.includes(f)) cpSync(join(wasm, f), join(out, f));

// worker.js: the glue of both flavours goes in after its 'use strict'; (before the version is
// computed, so the version covers it)
{
  const p = join(out, 'worker.js');
  const s = readFileSync(p, 'utf8');
  const strict = "'use strict';\n";
  const at = s.indexOf(strict);
  if (at < 0) {
    console.error("assemble-site: www/worker.js has no 'use strict'; line to bundle the glue after");
    process.exit(1);
  }
  const parts = glue.map((f) => `// ---- ${f} (Emscripten glue, bundled by wasm/assemble-site.mjs)\n${readFileSync(join(wasm, f), 'utf8').trim()}\n`);
  writeFileSync(p, s.slice(0, at + strict.length) + parts.join('') + '// ---- worker.js\n' + s.slice(at + strict.length));
}

// models/index.json: sizes from the files; the default must exist
const indexPath = join(out, 'models', 'index.json');
const index = JSON.parse(readFileSync(indexPath, 'utf8'));
if (!Array.isArray(index.models) || !index.models.length) {
  console.error('assemble-site: models/index.json lists no models');
  process.exit(1);
}
for (const m of index.models) {
  const p = join(out, 'models', m.file);
  if (!existsSync(p)) {
    console.error(`assemble-site: models/index.json names ${m.file}, which is not in www/models/`);
    process.exit(1);
  }
  m.size = statSync(p).size;
}
if (!index.models.some((m) => m.file === index.default)) {
  console.error(`assemble-site: the default model '${index.default}' is not in models/index.json`);
  process.exit(1);
}
writeFileSync(indexPath, JSON.stringify(index, null, 2) + '\n');

// the version: a hash over every file of the site (names and bytes)
const files = walk(out);
const h = createHash('sha256');
for (const f of files) {
  h.update(f + '\0');
  h.update(readFileSync(join(out, f)));
}
const version = h.digest('hex').slice(0, 12);

// what the service worker caches at install: the app shell, both flavours and the default model
const precache = ['./', 'index.html', 'models/index.json', `models/${index.default}`];
for (const f of files) {
  if (f === 'index.html' || f === 'sw.js' || f.startsWith('models/')) continue;
  const versioned = /\.(js|css|wasm)$/.test(f);
  precache.push(versioned ? `${f}?v=${version}` : f);
}

for (const f of ['index.html', 'sw.js', 'worker.js', 'app.js']) {
  const p = join(out, f);
  if (!existsSync(p)) continue;
  let s = readFileSync(p, 'utf8');
  s = s.replaceAll('__SERCE_VERSION__', version);
  if (f === 'sw.js') s = s.replace('"__SERCE_PRECACHE__"', JSON.stringify(precache));
  writeFileSync(p, s);
}
writeFileSync(join(out, '.stamp'), version + '\n');
console.log(`assemble-site: ${out} (version ${version}, ${files.length} files)`);

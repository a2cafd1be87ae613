#!/usr/bin/env node
// run.mjs — runs a web test suite with node's test runner, or skips it (exit 77, CTest's skip code)
// when what it needs is missing, saying what to do.
//
//   node tests/web/run.mjs wasm|browser|all
// Environment: SERCE_BUILD_DIR (default build/), SERCE_CLI, SERCE_PROBE, SERCE_CHROMIUM (default
// /usr/bin/chromium). CTest sets the first three (tests/web/CMakeLists.txt).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { BUILD, CLI, HERE, PROBE, SITE, SOURCE, WASM_DIR, missing } from './common.mjs';

const SKIP = 77;
const suite = process.argv[2] || 'all';
const suites = suite === 'all' ? ['wasm', 'browser'] : [suite];
if (!suites.every((s) => s === 'wasm' || s === 'browser')) {
  console.error('usage: node tests/web/run.mjs wasm|browser|all');
  process.exit(2);
}

function need(s) {
  const lack = [];
  const wasmFiles = ['serce-simd.js', 'serce-simd.wasm', 'serce-plain.js', 'serce-plain.wasm'].map((f) => join(WASM_DIR, f));
  if (s === 'wasm') {
    for (const p of missing(wasmFiles)) lack.push(`${p} (build with Emscripten: cmake --build ${BUILD})`);
    for (const p of missing([CLI, PROBE])) lack.push(`${p} (cmake --build ${BUILD})`);
  } else {
    if (!existsSync(join(SOURCE, 'node_modules', 'playwright-core'))) lack.push(`node_modules/playwright-core (run 'npm ci' in ${SOURCE})`);
    for (const p of missing([join(SITE, 'index.html'), join(SITE, 'serce-simd.wasm'), join(SITE, 'serce-plain.wasm')]))
      lack.push(`${p} (the site is built with Emscripten: cmake --build ${BUILD})`);
    const chromium = process.env.SERCE_CHROMIUM || '/usr/bin/chromium';
    if (!existsSync(chromium)) lack.push(`${chromium} (install Chromium, or set SERCE_CHROMIUM)`);
    for (const p of missing([CLI])) lack.push(`${p} (cmake --build ${BUILD})`);
  }
  return lack;
}

let skipped = 0, failed = 0;
for (const s of suites) {
  const lack = need(s);
  if (lack.length) {
    console.log(`SKIP web ${s} tests: missing\n  ${lack.join('\n  ')}`);
    skipped++;
    continue;
  }
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', join(HERE, `${s}.test.mjs`)], {
    stdio: 'inherit',
    env: { ...process.env, SERCE_BUILD_DIR: BUILD, SERCE_SOURCE_DIR: SOURCE },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : skipped === suites.length ? SKIP : 0);

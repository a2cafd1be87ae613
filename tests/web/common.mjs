// common.mjs — shared by the web tests: paths, the test model, running the CLI and the probe.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const SOURCE = resolve(process.env.SERCE_SOURCE_DIR || join(HERE, '..', '..'));
export const BUILD = resolve(process.env.SERCE_BUILD_DIR || join(SOURCE, 'build'));
export const CLI = process.env.SERCE_CLI || join(BUILD, 'serce');
export const PROBE = process.env.SERCE_PROBE || join(BUILD, 'tests', 'web', 'serce_web_probe');
export const WASM_DIR = join(BUILD, 'wasm');
export const SITE = join(BUILD, 'site');
export const OUTPUT = join(BUILD, 'test-output');
export const TEXT = join(HERE, 'data', 'serce-ornek.txt'); // our own text, written for these tests

// A small model trained in a temporary folder on our own text: 2 layers, hidden 40 and embedding 24
// (not multiples of 16, so the padded matvec paths run), every character of the text in the vocabulary.
// text: the training text (default: tests/web/data/serce-ornek.txt). withIndex: also export it with the
// originality index of that text (`serce export --corpus`), as indexed.
export function trainTestModel({ text = TEXT, withIndex = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'serce-web-'));
  const model = join(dir, 'test.safetensors');
  const indexed = join(dir, 'test-index.safetensors');
  execFileSync(CLI, ['train', text, '-o', model, '--checkpoint', join(dir, 'test.ckpt'), '--embed', '24', '--hidden', '40',
    '--layers', '2', '--steps', '60', '--batch', '4', '--seq-len', '32', '--val-fraction', '0.2', '--min-count', '1',
    '--patience', '0', '--seed', '5', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (withIndex) execFileSync(CLI, ['export', model, '-o', indexed, '--corpus', text], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, model, indexed: withIndex ? indexed : null, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// the `serce sample` flags of the song settings (tools/cmd_use.c), as the page writes them
export function songFlags(s) {
  const a = [];
  if (s.form) a.push('--form', s.form, '--lines-per-stanza', String(s.lines_per_stanza || 4));
  if (s.syllables) a.push('--syllables', String(s.syllables));
  if (s.rhyme) a.push('--rhyme', s.rhyme);
  if (s.repetition_penalty && s.repetition_penalty !== 1) a.push('--repetition-penalty', String(s.repetition_penalty));
  if (s.no_repeat_ngram) a.push('--no-repeat-ngram', String(s.no_repeat_ngram));
  if (s.avoid_copying) a.push('--avoid-copying');
  return a;
}

// `serce sample` with the page's settings; returns {status, stdout, stderr}
export function cliSample(model, s) {
  const args = ['sample', model];
  if (s.prime) args.push('--prime', s.prime);
  args.push('--seed', String(s.seed), '--temperature', String(s.temperature), '--top-k', String(s.top_k),
    '--top-p', String(s.top_p));
  if (s.length) args.push('--length', String(s.length));
  else args.push('--songs', String(s.songs));
  args.push(...songFlags(s));
  const r = spawnSync(CLI, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// `serce sample MODEL --prime PRIME --settings JSON [extra flags]`
export function cliSampleSettings(model, prime, settings, extra = []) {
  const args = ['sample', model, '--settings', JSON.stringify(settings), ...extra];
  if (prime) args.push('--prime', prime);
  const r = spawnSync(CLI, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// what `serce sample` prints for generated text: the text, plus a final newline if it lacks one
export const asCliOutput = (text) => (text && !text.endsWith('\n') ? `${text}\n` : text);

// the native run of wasm/api.c (tests/web/probe.c)
export function probe(model, s, chunk, maxLogitSteps = 1000000) {
  const r = spawnSync(PROBE, [model, s.prime || '', String(s.seed), String(s.temperature), String(s.top_k),
    String(s.top_p), String(s.length || 0), String(s.songs || 0), String(chunk), String(maxLogitSteps)],
  { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// the native run of serce_wasm_start_json (probe --json): {info, chunks, chars, stats} or {error}
export function probeJson(model, prime, settings, chunk, maxLogitSteps = 0) {
  return probeRaw([model, '--json', prime || '', JSON.stringify(settings), String(chunk), String(maxLogitSteps)]);
}
// serce_wasm_originality and serce_wasm_next_words natively
export const probeOriginality = (model, text) => probeRaw([model, '--originality', text]);
export const probeNextWords = (model, prime, k, max) => probeRaw([model, '--next-words', prime, String(k), String(max)]);
function probeRaw(args) {
  const r = spawnSync(PROBE, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function missing(paths) {
  return paths.filter((p) => !existsSync(p));
}

export const readBytes = (p) => new Uint8Array(readFileSync(p));

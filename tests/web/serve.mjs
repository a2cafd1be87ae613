#!/usr/bin/env node
// serve.mjs — a tiny static file server for the site (no dependencies).
//
//   node tests/web/serve.mjs build/site 8000            -> http://127.0.0.1:8000/
//   node tests/web/serve.mjs build/site 8000 --prefix /serce/   (serve from a sub-path)
//
// Also imported by the browser tests (startServer), which read `requests` to check what was asked.
// Every response carries the same Content-Security-Policy as the page's meta tag, so the worker and
// the WebAssembly instantiation are held to it too.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; style-src 'self'; font-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; " +
  "form-action 'self'";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

export function startServer({ root, port = 0, host = '127.0.0.1', prefix = '/', csp = true, quiet = true } = {}) {
  const base = resolve(root);
  if (!prefix.startsWith('/')) prefix = `/${prefix}`;
  if (!prefix.endsWith('/')) prefix += '/';
  const requests = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, time: Date.now() });
    if (!quiet) console.log(`${req.method} ${req.url}`);
    const send = (code, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch (e) {
      return send(400, 'bad request\n');
    }
    if (prefix !== '/' && path === prefix.slice(0, -1)) {
      res.writeHead(301, { Location: prefix });
      return res.end();
    }
    if (!path.startsWith(prefix)) return send(404, 'not found\n');
    let file = resolve(join(base, path.slice(prefix.length)));
    if (file !== base && !file.startsWith(base + sep)) return send(403, 'forbidden\n');
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = statSync(file);
      }
    } catch (e) {
      return send(404, 'not found\n');
    }
    const headers = {
      'Content-Type': TYPES[extname(file).toLowerCase()] || 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    if (csp) headers['Content-Security-Policy'] = CSP;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const a = server.address();
      ok({ server, requests, url: `http://${host}:${a.port}${prefix}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const pi = args.indexOf('--prefix');
  const prefix = pi >= 0 ? args.splice(pi, 2)[1] : '/';
  const [root = 'build/site', port = '8000'] = args;
  try {
    statSync(join(root, 'index.html'));
  } catch (e) {
    console.error(`serve: ${root}/index.html not found (build the site first: cmake --build build)`);
    process.exit(1);
  }
  const s = await startServer({ root, port: Number(port), prefix, quiet: false });
  console.log(`Serçe: serving ${resolve(root)} at ${s.url}  (Ctrl+C stops)`);
}

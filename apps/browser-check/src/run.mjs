#!/usr/bin/env node
// Runs src/workload.js in Node, then in headless Chromium twice (a cross-origin isolated page,
// where the wasm memory is a SharedArrayBuffer, and a plain page, where it is not), and checks:
//   - the browser takes the wasm backend, with shared memory exactly when the page is isolated;
//   - every wasm kernel output has the same bytes as in Node (FNV-1a digests), and is within TOL
//     of the JS backend's (the oracle) in the same runtime;
//   - a seeded 30-step GPT run gives the same losses as in Node (wasm and JS backends).
// Needs the packages built (`pnpm build`) and a Chromium: /usr/bin/chromium (Debian: apt-get
// install chromium) or the CHROMIUM environment variable. Exit code 0 when every check passes.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKernelPool } from '@normkit/tensor/node';
import { runPoolPhase, runWorkload } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const packages = resolve(here, '../../../packages');
/** largest wasm-vs-JS difference, relative to the largest |value| of the output */
const TOL = 1e-5;
const TIMEOUT_MS = 180_000;

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

/** /isolated/ and /plain/: the page (with or without COOP/COEP); /workload.js; /pkg/<name>/<file>: packages/<name>/dist/<file> */
function serve(req, res) {
  const url = new URL(req.url, 'http://localhost');
  let file = null;
  if (url.pathname === '/isolated/' || url.pathname === '/plain/') file = join(here, 'page.html');
  else if (url.pathname === '/workload.js') file = join(here, 'workload.js');
  else {
    const m = /^\/pkg\/([a-z-]+)\/(.+)$/.exec(url.pathname);
    if (m) {
      const dist = join(packages, m[1], 'dist');
      const path = normalize(join(dist, m[2]));
      if (path.startsWith(`${dist}/`)) file = path;
    }
  }
  if (!file || !existsSync(file)) {
    res.writeHead(404).end(`not found: ${url.pathname}`);
    return;
  }
  const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
  if (url.pathname === '/isolated/') {
    headers['cross-origin-opener-policy'] = 'same-origin';
    headers['cross-origin-embedder-policy'] = 'require-corp';
  }
  res.writeHead(200, headers).end(readFileSync(file));
}

function findChromium() {
  const candidates = [
    process.env.CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** the pool phase's median times */
const times = (t) =>
  `matmul 512^3 ${t.matmulMs.toFixed(2)} ms, layerNorm [2048,768] 'high' fwd+bwd ${t.layerNormHighMs.toFixed(2)} ms`;

let passed = 0;
let failed = 0;
function check(ok, label, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`);
}

/** the index of the first differing element of two number arrays, or -1 */
const firstDiff = (a, b) => (a.length !== b.length ? 0 : a.findIndex((v, i) => !Object.is(v, b[i])));

function compare(mode, node, browser) {
  const env = browser.env;
  const isolated = mode === 'isolated';
  check(env.wasmSupported && env.backend === 'wasm', `${mode}: wasm backend by default`, JSON.stringify(env));
  check(env.crossOriginIsolated === isolated, `${mode}: crossOriginIsolated is ${isolated}`);
  check(
    env.memoryShared === isolated,
    `${mode}: wasm memory ${isolated ? 'is' : 'is not'} a SharedArrayBuffer`,
  );
  for (const k of browser.kernels) {
    const ref = node.kernels.find((n) => n.name === k.name);
    const differ = Object.keys(ref.outputs).filter((o) => ref.outputs[o] !== k.outputs[o]);
    check(
      differ.length === 0,
      `${mode}: ${k.name}: same bytes as Node`,
      differ.length ? `differ: ${differ.map((o) => `${o} ${k.outputs[o]} vs ${ref.outputs[o]}`)}` : '',
    );
    check(
      k.relDiffJs <= TOL,
      `${mode}: ${k.name}: within ${TOL} of the JS backend`,
      `maxdiff ${k.relDiffJs.toExponential(2)}`,
    );
  }
  if (isolated) {
    const p = browser.pool;
    check(p !== undefined, `${mode}: the Web Worker pool ran`);
    if (p) {
      check(p.workerCalls > 0, `${mode}: pool: calls ran in a worker`, `${p.workerCalls}`);
      for (const o of p.outputs) {
        const params = Object.keys(o.differ).every((k) => k === 'dWeight' || k === 'dBias');
        const worst = Math.max(0, ...Object.values(o.differ));
        check(
          params && worst <= 1e-6,
          `${mode}: pool: ${o.name}: same bytes as one thread (dWeight/dBias within 1e-6)`,
          `same: ${o.same.join(' ')}${worst ? `; ${Object.entries(o.differ).map(([k, v]) => `${k} ${v.toExponential(1)}`)}` : ''}`,
        );
      }
      console.log(
        `     ${mode}: one thread: ${times(p.oneThread)}; pool of 2 (Web Workers): ${times(p.pool)}`,
      );
    }
  }
  for (const backend of ['wasm', 'js']) {
    const same = firstDiff(browser.sample[backend], node.sample[backend]) < 0;
    check(
      same,
      `${mode}: GPT generate, 64 sampled tokens (${backend}): same tokens as Node`,
      browser.sample[backend].join(' '),
    );
  }
  for (const backend of ['wasm', 'js']) {
    const i = firstDiff(browser.gpt[backend], node.gpt[backend]);
    const last = browser.gpt[backend].at(-1);
    check(
      i < 0,
      `${mode}: GPT 30 steps (${backend}): same losses as Node`,
      i < 0 ? `last ${last}` : `step ${i + 1}: ${browser.gpt[backend][i]} vs ${node.gpt[backend][i]}`,
    );
  }
}

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.error(
    'browser check: no Chromium found; install one (Debian: apt-get install -y chromium) or set CHROMIUM=/path/to/chrome',
  );
  process.exit(2);
}
const { chromium } = await import('playwright-core');

const t0 = performance.now();
const node = await runWorkload();
console.log(
  `Node ${process.version}: workload in ${((performance.now() - t0) / 1000).toFixed(1)} s, memory shared: ${node.env.memoryShared}`,
);
const nodePool = await runPoolPhase(() => {
  const pool = startKernelPool({ threads: 2 });
  return { ...pool, stop: () => void pool.stop(), whenReady: async () => {} };
});
console.log(
  `     Node: one thread: ${times(nodePool.oneThread)}; pool of 2 (worker_threads, ${nodePool.workerCalls} calls in the worker): ${times(nodePool.pool)}`,
);

const server = createServer(serve);
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const port = server.address().port;
const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
const browser = await chromium.launch({ executablePath: chromiumPath, args });
console.log(`${chromiumPath} ${browser.version()}`);
try {
  for (const mode of ['isolated', 'plain']) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`${mode}: page error: ${e.message}`));
    const t = performance.now();
    await page.goto(`http://127.0.0.1:${port}/${mode}/`);
    await page.waitForFunction(() => globalThis.__normkit, null, { timeout: TIMEOUT_MS });
    const state = await page.evaluate(() => globalThis.__normkit);
    if (state.status !== 'done') check(false, `${mode}: the page ran the workload`, state.message);
    else {
      console.log(`${mode}: workload in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      compare(mode, node, state.result);
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`browser check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

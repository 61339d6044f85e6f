import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { experiments } from '../src/experiments/registry.js';
import { toPlainJson } from '../src/json.js';

// Holds for every experiment that gets registered later: the runner and the report rely on it.
describe('the experiment registry', () => {
  it('has unique ids and plain-JSON quick and full configurations', () => {
    expect(new Set(experiments.map((e) => e.id)).size).toBe(experiments.length);
    for (const e of experiments) {
      // ids are typed on the command line and used in HTML anchors
      expect(e.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
      expect(e.title.length).toBeGreaterThan(0);
      expect(e.claim.length).toBeGreaterThan(0);
      for (const mode of ['quick', 'full'] as const)
        expect(toPlainJson(e.configs[mode])).toEqual(e.configs[mode]);
    }
  });
});

// The built worker (dist/worker.js, from `pnpm build`) is what the real CLI starts; the other tests
// start the TypeScript source through tsx. This one runs only when a build exists.
const built = new URL('../dist/worker.js', import.meta.url);
const depsBuilt = ['norms', 'tensor'].every((p) =>
  existsSync(new URL(`../node_modules/@normkit/${p}/dist/index.js`, import.meta.url)),
);
describe.skipIf(!existsSync(built) || !depsBuilt)('the built worker', () => {
  it('starts a peer host and answers its init message', async () => {
    // execArgv []: not vitest's --conditions=@normkit/source, so packages load from dist as in the CLI
    const worker = new Worker(built, { workerData: { role: 'peer', peer: 'tfjs-cpu' }, execArgv: [] });
    try {
      const reply = await new Promise<{ type: string; available: boolean }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ type: 'init' });
      });
      expect(reply.type).toBe('ready');
      expect(typeof reply.available).toBe('boolean');
    } finally {
      await worker.terminate();
    }
  }, 30_000);
});

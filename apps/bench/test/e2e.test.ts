import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmSupported } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../src/json.js';
import { implOf, isNormkit, measuredBackends } from '../src/kernels/backends.js';
import { type CliIo, type CliOverrides, runCli } from '../src/main.js';
import type { Results } from '../src/results.js';
import { experiments, extra } from './fake-experiments.js';
import { findAll, parseXml } from './xml.js';

function io(cwd: string): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s), isTTY: false },
    stderr: { write: (s: string) => err.push(s) },
    cwd,
    now: () => new Date('2025-01-02T03:04:05.678Z'),
  };
}

// A tiny table: one [64, 32] activation, every norm, one small matmul, 3 reps, every peer installed.
const tiny: CliOverrides = {
  kernels: { shapes: [[64, 32]], reps: 3, matmul: [{ m: 48, k: 40, n: 24, label: '[48,40]x[40,24] tiny' }] },
  experiments,
  registryModule: new URL('./fake-experiments.ts', import.meta.url).href,
};

describe('normkit-bench end to end (tiny plan)', () => {
  it('writes results.json and a self-contained report.html with its charts; `report DIR` re-renders it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkb-'));
    const cli = io(dir);
    const code = await runCli(['all', '--out', 'run', '--seed', '3', '--jobs', '2'], cli, tiny);
    expect(cli.err.join('')).toBe('');
    expect(code).toBe(1); // the fake 'flaky' experiment fails one run on purpose
    const stdout = cli.out.join('');
    expect(stdout).toContain(
      'Norm kernels (float32). Median of 3 samples (fewer, down to one, for a call slower than 333 ms: 1.00 s per implementation and case).',
    );
    expect(stdout).toContain(`results: ${join(dir, 'run', 'results.json')}`);

    const r = parseResults<Results>(readFileSync(join(dir, 'run', 'results.json'), 'utf8'));
    expect(r).toMatchObject({
      schema: 'normkit-bench/results@1',
      mode: 'quick',
      seed: 3,
      jobs: 2,
      command: ['all', '--out', 'run', '--seed', '3', '--jobs', '2'],
    });
    expect(r.createdAt).toBe('2025-01-02T03:04:05.678Z');
    const nk = r.kernels!.rows.filter((x) => isNormkit(x.impl));
    // normkit on each backend; 6 ops x forward + 5 backward passes (batchNormEval has none)
    const impls = measuredBackends().map(implOf);
    expect(impls).toEqual(wasmSupported() ? ['normkit-wasm', 'normkit-js'] : ['normkit-js']);
    for (const impl of impls)
      expect(nk.filter((x) => x.impl === impl).map((x) => x.kernel)).toEqual([
        'layerNorm forward',
        'layerNorm backward',
        'rmsNorm forward',
        'rmsNorm backward',
        'batchNorm forward',
        'batchNorm backward',
        'batchNormEval forward',
        'groupNorm forward',
        'groupNorm backward',
        'instanceNorm forward',
        'instanceNorm backward',
      ]);
    for (const row of [...nk, ...r.matmul!.rows.filter((x) => isNormkit(x.impl))]) {
      expect(row.ok, `${row.kernel}: ${row.note}`).toBe(true);
      expect(row.maxdiff).toBeLessThan(1e-4);
      expect(row.medianMs).toBeGreaterThan(0);
      expect(row.gbps).toBeCloseTo(row.bytes / (row.medianMs! * 1e6), 9);
      expect(row.xCopy).toBeCloseTo(row.medianMs! / row.copyMs, 9);
    }
    expect(r.matmul!.rows[0]).toMatchObject({
      kernel: 'matmul',
      shape: [48, 40, 24],
      flops: 2 * 48 * 40 * 24,
      bytes: 4 * (48 * 40 + 40 * 24 + 48 * 24),
    });
    // peers: each one either measured (checked against the reference) or skipped with a note
    for (const p of r.kernels!.peers) {
      const mine = (impl: string) =>
        p.name === 'onnxruntime' ? impl.startsWith('onnxruntime') : impl === p.name;
      const rows = r.kernels!.rows.filter((x) => mine(x.impl) && x.kernel === 'layerNorm forward');
      expect(rows.length).toBe(p.available ? (p.name === 'onnxruntime' ? 2 : 1) : 0);
      if (p.available) expect(rows.every((x) => x.ok === true && x.vsNormkit! > 0)).toBe(true);
      else expect(p.note).toMatch(/not available/);
    }
    expect(r.experiments!.map((e) => [e.id, e.verdict.verdict, e.runs.length])).toEqual([
      ['fake', 'reproduced', 4],
      ['flaky', 'inconclusive', 2],
    ]);
    expect(r.experiments![1]!.runs[0]!.measurements).toEqual({ loss: Number.NaN, textLength: null });

    const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const doc = parseXml(html, { html: true });
    const svgs = findAll(doc, 'svg');
    // one norm chart (one shape), one matmul chart, three fake experiment charts
    expect(svgs.map((s) => s.attrs['data-kind'])).toEqual(['bar', 'bar', 'line', 'bar', 'profile']);
    for (const s of svgs) expect(s.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const normBars = findAll(svgs[0]!, 'rect').filter((x) => findAll(x, 'title').length > 0);
    expect(normBars.length).toBeGreaterThanOrEqual(nk.length * 2); // normkit + copy floor bars at least
    const line = findAll(svgs[2]!, 'path').filter((p) => p.attrs.class === 'series');
    expect(line).toHaveLength(4);
    expect(line.every((p) => /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){19}$/.test(p.attrs.d!))).toBe(true);
    expect(findAll(doc, 'tr').filter((t) => t.attrs.class === 'normkit').length).toBe(
      nk.length + impls.length,
    );
    // self-contained: no script, no stylesheet link, no URL other than the SVG namespace
    expect(findAll(doc, 'script')).toHaveLength(0);
    expect(findAll(doc, 'link')).toHaveLength(0);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:|url\(/);

    const again = io(dir);
    expect(await runCli(['report', 'run', '--out', '.'], again)).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(html);
  }, 120_000);

  it('runs only the matmul table, or an empty experiment list, when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkb-'));
    const cli = io(dir);
    const kernels = { ...tiny.kernels, peers: [] };
    expect(await runCli(['matmul', '--out', 'm'], cli, { kernels })).toBe(0);
    const r = parseResults<Results>(readFileSync(join(dir, 'm', 'results.json'), 'utf8'));
    expect([r.kernels, r.experiments, r.matmul!.peers]).toEqual([null, null, []]);
    expect(r.matmul!.rows.map((x) => x.impl)).toEqual(measuredBackends().map(implOf));
    const none = io(dir);
    expect(await runCli(['experiments', '--out', 'e'], none, { experiments: [] })).toBe(0);
    expect(none.out.join('')).toContain('experiments: none registered yet');
    const html = readFileSync(join(dir, 'e', 'report.html'), 'utf8');
    expect(html).toContain('No experiments registered yet.');
    expect(findAll(parseXml(html, { html: true }), 'svg')).toHaveLength(0);
  });

  it('--quick without ids runs the quick-run experiments and names the others; ids or --full run them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkb-'));
    const list: CliOverrides = { experiments: [...experiments, extra] };
    const ran = (out: string) =>
      parseResults<Results>(readFileSync(join(dir, out, 'results.json'), 'utf8')).experiments!.map((e) => [
        e.id,
        e.config,
      ]);
    const quick = io(dir);
    expect(await runCli(['experiments', '--out', 'q'], quick, list)).toBe(1); // flaky fails on purpose
    expect(quick.out.join('')).toContain(
      'experiments not in the quick run: extra (run them with `normkit-bench experiments extra --quick`, ' +
        'or every experiment with --full)\n',
    );
    expect(ran('q').map(([id]) => id)).toEqual(['fake', 'flaky']);
    const named = io(dir);
    expect(await runCli(['experiments', 'EXTRA', '--quick', '--out', 'n'], named, list)).toBe(0);
    expect(named.out.join('')).not.toContain('not in the quick run');
    expect(ran('n')).toEqual([['extra', { size: 1 }]]);
    const full = io(dir);
    expect(await runCli(['experiments', '--full', '--out', 'f'], full, list)).toBe(1);
    expect(full.out.join('')).not.toContain('not in the quick run');
    expect(ran('f').map(([id]) => id)).toEqual(['fake', 'flaky', 'extra']);
    expect(ran('f')[2]).toEqual(['extra', { size: 2 }]);
  });

  it('passes --text through to the experiments and rejects unreadable or non-UTF-8 files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkb-'));
    writeFileSync(join(dir, 'tiny.txt'), 'héllo wörld\n');
    writeFileSync(join(dir, 'bad.txt'), Uint8Array.from([0x66, 0xff, 0xfe]));
    const ok = io(dir);
    await runCli(['experiments', 'flaky', '--text', 'tiny.txt', '--out', 'o'], ok, tiny);
    const r = parseResults<Results>(readFileSync(join(dir, 'o', 'results.json'), 'utf8'));
    expect(r.text).toEqual({ path: join(dir, 'tiny.txt'), bytes: 14 });
    expect(r.experiments![0]!.runs[0]!.measurements).toEqual({ loss: Number.NaN, textLength: 12 });

    const bad = io(dir);
    expect(await runCli(['experiments', '--text', 'bad.txt'], bad, tiny)).toBe(2);
    expect(bad.err.join('')).toBe(`normkit-bench: --text: ${join(dir, 'bad.txt')} is not valid UTF-8\n`);
    const missing = io(dir);
    expect(await runCli(['experiments', '--text', 'nope.txt'], missing, tiny)).toBe(2);
    expect(missing.err.join('')).toMatch(/--text: cannot read .*nope.txt: ENOENT/);
  });

  it('reports usage errors, unknown experiments and a missing results directory with exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkb-'));
    const a = io(dir);
    expect(await runCli(['--jobs', 'many'], a)).toBe(2);
    expect(a.err.join('')).toMatch(
      /^normkit-bench: --jobs expects an integer from 1 to 256, got "many"\n\nusage: normkit-bench/,
    );
    const b = io(dir);
    expect(await runCli(['experiments', 'nope'], b, tiny)).toBe(2);
    expect(b.err.join('')).toBe('normkit-bench: unknown experiment "nope" (registered: fake, flaky)\n');
    const c = io(dir);
    expect(await runCli(['report', 'missing'], c)).toBe(2);
    expect(c.err.join('')).toBe(`normkit-bench: report: no results.json in ${join(dir, 'missing')}\n`);
    const h = io(dir);
    expect(await runCli(['--help'], h)).toBe(0);
    expect(h.out.join('')).toMatch(/^usage: normkit-bench \[command\] \[options\]/);
  });
});

import { randn } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/experiments/types.js';
import { Progress } from '../src/progress.js';
import { planJobs } from '../src/runner/jobs.js';
import { createReporter, formatStepLine, type RunEvent } from '../src/runner/reporter.js';
import { runExperiments } from '../src/runner/runner.js';
import { experiments, fake, flaky } from './fake-experiments.js';

const registryModule = new URL('./fake-experiments.ts', import.meta.url).href;

function quietProgress(lines: string[] = []): Progress {
  return new Progress({ write: (s: string) => lines.push(s), isTTY: false }, () => performance.now(), 0);
}

type FakeM = { start: number; losses: number[]; final: number; threadId: number };
const m = (r: RunRecord) => r.measurements as unknown as FakeM;

describe('planJobs', () => {
  it('runs every variant with the same seeds base, base+1, ...', () => {
    const jobs = planJobs([fake], 'quick', 40);
    expect(jobs.map((j) => j.id)).toEqual([
      'fake/a/seed40',
      'fake/a/seed41',
      'fake/b/seed40',
      'fake/b/seed41',
    ]);
    expect(planJobs([flaky], 'full', 0).map((j) => [j.variant, j.seed])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
  });

  it('rejects a non-positive seed count', () => {
    const bad = { ...fake, id: 'bad', seeds: () => 0 };
    expect(() => planJobs([bad], 'quick', 0)).toThrow(
      'experiment bad: seeds() must be a positive integer, got 0',
    );
  });
});

describe('runExperiments in process (--jobs 1)', () => {
  it('seeds the default generator with each job seed before run()', async () => {
    const [result] = await runExperiments({
      experiments: [fake],
      mode: 'quick',
      seed: 5,
      jobs: 1,
      textPath: null,
      progress: quietProgress(),
    });
    for (const r of result!.runs) {
      // oracle: the first normal draw of a fresh Generator seeded with the job's seed
      expect(m(r).start).toBe(randn([1], { seed: r.seed }).toFlatArray()[0]);
    }
    expect(result!.runs.map((r) => r.seed)).toEqual([5, 6, 5, 6]);
    expect(m(result!.runs[0]!).start).not.toBe(m(result!.runs[1]!).start);
  });

  it('returns plain JSON records, the verdict and the charts the experiment declares', async () => {
    const lines: string[] = [];
    const [result] = await runExperiments({
      experiments: [fake],
      mode: 'quick',
      seed: 0,
      jobs: 1,
      textPath: null,
      progress: quietProgress(lines),
    });
    expect(result).toMatchObject({
      id: 'fake',
      title: 'Fake experiment',
      mode: 'quick',
      config: { steps: 20, rate: 0.8 },
    });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result!.runs).toHaveLength(4);
    for (const r of result!.runs) {
      expect(Object.keys(r).sort()).toEqual([
        'config',
        'experiment',
        'measurements',
        'seed',
        'variant',
        'wallMs',
      ]);
      expect(m(r).losses).toHaveLength(20);
    }
    expect(result!.verdict.verdict).toBe('reproduced');
    expect(result!.verdict.summary).toMatch(/final loss b .* < a /);
    expect(result!.charts.map((c) => c.kind)).toEqual(['line', 'bar', 'profile']);
    // plain (non-TTY) output: the live training line of each run is printed
    expect(
      lines.some((l) => /fake\/a seed 0 step \d+\/20 loss [\d.e-]+ lr 1.00e-3 [\d.kM]+ tok\/s/.test(l)),
    ).toBe(true);
  });

  it('records a failing run with its error and still reads the others', async () => {
    const lines: string[] = [];
    const [result] = await runExperiments({
      experiments: [flaky],
      mode: 'quick',
      seed: 3,
      jobs: 1,
      textPath: null,
      progress: quietProgress(lines),
    });
    const [a, b] = result!.runs;
    expect(a!.measurements).toEqual({ loss: Number.NaN, textLength: null });
    expect(b).toMatchObject({ variant: 'b', measurements: null, error: 'diverged: loss is NaN at step 3' });
    expect(result!.verdict).toEqual({ verdict: 'inconclusive', summary: 'one run failed' });
    expect(lines.join('')).toContain('flaky/b seed 3: FAILED: diverged: loss is NaN at step 3');
  });

  it('turns a throwing verdict or charts function into an inconclusive verdict and no charts', async () => {
    const broken = {
      ...fake,
      id: 'broken',
      seeds: () => 1,
      verdict: () => {
        throw new Error('no runs to compare');
      },
      charts: () => {
        throw new Error('bad chart');
      },
    };
    const lines: string[] = [];
    const [r] = await runExperiments({
      experiments: [broken],
      mode: 'quick',
      seed: 0,
      jobs: 1,
      textPath: null,
      progress: quietProgress(lines),
    });
    expect(r!.verdict).toEqual({ verdict: 'inconclusive', summary: 'verdict failed: no runs to compare' });
    expect(r!.charts).toEqual([]);
    expect(lines.join('')).toContain('broken: charts failed: bad chart');
  });
});

describe('runExperiments on worker threads (--jobs 2)', () => {
  it('gives the same records as in-process runs, computed on two worker threads', async () => {
    const opts = { experiments, mode: 'quick' as const, seed: 11, textPath: null, registryModule };
    const inProcess = await runExperiments({ ...opts, jobs: 1, progress: quietProgress() });
    const lines: string[] = [];
    const parallel = await runExperiments({ ...opts, jobs: 2, progress: quietProgress(lines) });
    const strip = (rs: RunRecord[]) =>
      rs.map(({ wallMs, measurements, ...r }) => ({
        ...r,
        measurements: measurements && { ...(measurements as object), threadId: 0 },
      }));
    for (let e = 0; e < experiments.length; e++) {
      expect(strip(parallel[e]!.runs)).toEqual(strip(inProcess[e]!.runs));
      expect(parallel[e]!.verdict).toEqual(inProcess[e]!.verdict);
    }
    const threads = new Set(parallel[0]!.runs.map((r) => m(r).threadId));
    expect(threads.has(0)).toBe(false); // not the main thread
    expect(threads.size).toBe(2);
    expect(lines.some((l) => l.includes('step 20/20'))).toBe(true); // progress came back from the workers
  }, 60_000);
});

describe('createReporter', () => {
  it('forwards at most one step per interval, always the last, with tokens/s since the first step', () => {
    let t = 0;
    const events: RunEvent[] = [];
    const r = createReporter(
      'j',
      (e) => events.push(e),
      100,
      () => t,
    );
    for (let step = 1; step <= 10; step++) {
      r.step({ step, totalSteps: 10, loss: 1 / step, tokens: 50 });
      t += 30; // 30 ms per step
    }
    // forwarded at t = 0, 120, 240 (steps 1, 5, 9) and the last step 10 (t = 270)
    expect(events.map((e) => (e.type === 'step' ? e.report.step : -1))).toEqual([1, 5, 9, 10]);
    const last = events.at(-1)!;
    // 10 steps x 50 tokens over 0.27 s
    expect(last.type === 'step' && last.tokensPerSec).toBeCloseTo(500 / 0.27, 6);
    r.log('hello');
    expect(events.at(-1)).toEqual({ type: 'log', jobId: 'j', message: 'hello' });
  });

  it('formats the live line', () => {
    expect(formatStepLine('x/a seed 1', { step: 3, totalSteps: 9, loss: 2.5, lr: 3e-4 }, 12345)).toBe(
      'x/a seed 1 step 3/9 loss 2.500 lr 3.00e-4 12.3k tok/s',
    );
    expect(formatStepLine('r', { step: 1, totalSteps: 2, loss: Number.NaN }, null)).toBe(
      'r step 1/2 loss NaN',
    );
  });
});

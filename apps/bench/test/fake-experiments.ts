import { threadId } from 'node:worker_threads';
import { randn } from '@normkit/tensor';
import { defineExperiment } from '../src/experiments/types.js';

/**
 * A fake experiment for the runner tests (not in the real registry): a few milliseconds of
 * "training" whose loss decays geometrically from a random start drawn from the default generator,
 * so a run's numbers depend only on its seed. Workers import this module by URL.
 */
export const fake = defineExperiment({
  id: 'fake',
  title: 'Fake experiment',
  claim: 'A made-up claim: variant b converges faster than variant a (test fixture).',
  inQuickRun: true,
  configs: { quick: { steps: 20, rate: 0.8 }, full: { steps: 40, rate: 0.9 } },
  variants: () => ['a', 'b'],
  seeds: () => 2,
  run(config, ctx) {
    const start = randn([1]).toFlatArray()[0]!; // drawn from the default generator the runner seeded
    const rate = ctx.variant === 'b' ? config.rate * config.rate : config.rate;
    const losses: number[] = [];
    for (let step = 1; step <= config.steps; step++) {
      const loss = (2 + Math.abs(start)) * rate ** step;
      losses.push(loss);
      ctx.report.step({ step, totalSteps: config.steps, loss, lr: 1e-3, tokens: 64 });
    }
    return { start, losses, final: losses.at(-1)!, threadId };
  },
  verdict(runs) {
    const final = (v: string) =>
      runs.filter((r) => r.variant === v && r.measurements).map((r) => r.measurements!.final);
    const a = Math.max(...final('a'));
    const b = Math.max(...final('b'));
    return b < a
      ? { verdict: 'reproduced', summary: `final loss b ${b.toExponential(2)} < a ${a.toExponential(2)}` }
      : { verdict: 'not reproduced', summary: `final loss b ${b} >= a ${a}` };
  },
  charts(runs) {
    const seeds = runs.filter((r) => r.measurements);
    return [
      {
        kind: 'line',
        title: 'Fake loss',
        xLabel: 'step',
        yLabel: 'loss',
        logY: true,
        series: seeds.map((r) => ({
          name: `${r.variant} s${r.seed}`,
          points: r.measurements!.losses.map((l, i) => [i + 1, l] as [number, number]),
        })),
      },
      {
        kind: 'bar',
        title: 'Fake final loss',
        yLabel: 'loss',
        categories: ['a', 'b'],
        series: [{ name: 'final', values: [1, 0.5] }],
      },
      {
        kind: 'profile',
        title: 'Fake per-layer norm',
        yLabel: 'norm',
        layers: ['h.0', 'h.1', 'h.2'],
        series: [{ name: 'grad', values: [3, 2, null] }],
      },
    ];
  },
});

/** Throws in variant 'b' with seed 1 (to test that one failed run does not sink the others). */
export const flaky = defineExperiment({
  id: 'flaky',
  title: 'Flaky experiment',
  claim: 'Fails on purpose in one run.',
  inQuickRun: true,
  configs: { quick: {}, full: {} },
  variants: () => ['a', 'b'],
  run(_config, ctx) {
    if (ctx.variant === 'b') throw new Error('diverged: loss is NaN at step 3');
    return { loss: Number.NaN, textLength: ctx.text()?.length ?? null };
  },
  verdict: () => ({ verdict: 'inconclusive', summary: 'one run failed' }),
});

/** Not part of the quick run (and not in `experiments`): for the selection tests, run in process. */
export const extra = defineExperiment({
  id: 'extra',
  title: 'Experiment outside the quick run',
  claim: 'Runs only when named or with --full.',
  configs: { quick: { size: 1 }, full: { size: 2 } },
  run: (config) => ({ size: config.size }),
  verdict: (runs) => ({ verdict: 'reproduced', summary: `${runs.length} run` }),
});

export const experiments = [fake, flaky];

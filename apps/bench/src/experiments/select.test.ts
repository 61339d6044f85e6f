import { describe, expect, it } from 'vitest';
import { USAGE, UsageError } from '../args.js';
import { planJobs } from '../runner/jobs.js';
import { e2 } from './e2-warmup.js';
import { experiments } from './registry.js';
import { selectExperiments, skippedLine } from './select.js';
import { type AnyExperiment, defineExperiment } from './types.js';

const make = (id: string, inQuickRun?: boolean): AnyExperiment =>
  defineExperiment({
    id,
    title: id,
    claim: id,
    ...(inQuickRun === undefined ? {} : { inQuickRun }),
    configs: { quick: {}, full: {} },
    run: () => ({}),
    verdict: () => ({ verdict: 'inconclusive', summary: '' }),
  });

const list = [make('A1', true), make('A2'), make('A3', false), make('A4', true)];
const ids = (es: readonly AnyExperiment[]) => es.map((e) => e.id);

describe('selectExperiments', () => {
  it('--quick without ids: the experiments marked inQuickRun, in registry order; the rest skipped', () => {
    const s = selectExperiments(list, [], 'quick');
    expect([ids(s.selected), ids(s.skipped)]).toEqual([
      ['A1', 'A4'],
      ['A2', 'A3'],
    ]);
  });

  it('--full without ids: every experiment, none skipped', () => {
    const s = selectExperiments(list, [], 'full');
    expect([ids(s.selected), ids(s.skipped)]).toEqual([['A1', 'A2', 'A3', 'A4'], []]);
  });

  it('named ids run in either mode, in the order given, case-insensitively, each once', () => {
    for (const mode of ['quick', 'full'] as const) {
      const s = selectExperiments(list, ['a3', 'A1', 'A3'], mode);
      expect([ids(s.selected), ids(s.skipped)]).toEqual([['A3', 'A1'], []]);
    }
  });

  it('an unknown id is a usage error naming it and the registered ids', () => {
    expect(() => selectExperiments(list, ['A1', 'nope'], 'quick')).toThrow(UsageError);
    expect(() => selectExperiments(list, ['nope'], 'quick')).toThrow(
      'unknown experiment "nope" (registered: A1, A2, A3, A4)',
    );
    expect(() => selectExperiments([], ['x'], 'full')).toThrow('unknown experiment "x" (registered: none)');
  });
});

describe('skippedLine', () => {
  it('names the skipped experiments and the command that runs them, on one line', () => {
    const line = skippedLine([list[1]!, list[2]!]);
    expect(line).toBe(
      'experiments not in the quick run: A2, A3 (run them with `normkit-bench experiments A2 A3 --quick`, ' +
        'or every experiment with --full)',
    );
    expect(line).not.toContain('\n');
    expect(skippedLine([])).toBeNull();
  });
});

describe('the quick run of the real registry', () => {
  it('is E1, E2 and E9, as --help says', () => {
    const s = selectExperiments(experiments, [], 'quick');
    expect(ids(s.selected)).toEqual(['E1', 'E2', 'E9']);
    expect(ids(s.skipped)).toEqual(['E3', 'E4', 'E5', 'E6', 'E7', 'E8']);
    expect(USAGE).toContain('experiments E1, E2 (reduced) and E9 only');
  });

  it("E2's quick config is reduced: a smaller model and under a tenth of the full run's training steps", () => {
    const { quick, full } = e2.configs;
    const steps = (mode: 'quick' | 'full') => planJobs([e2], mode, 0).length * e2.configs[mode].train.steps;
    expect(quick.model.nLayer).toBeLessThan(full.model.nLayer);
    expect(steps('quick')).toBe(3 * 400); // post, post+warmup, pre at lr 0.01, one seed
    expect(steps('full')).toBe(36 * 400); // 4 archs x 3 lrs x 3 seeds
    expect(steps('quick') * 10).toBeLessThan(steps('full'));
  });
});

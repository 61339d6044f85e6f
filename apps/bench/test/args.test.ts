import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../src/args.js';

describe('parseArgs', () => {
  it('defaults to a quick `all` run with seed 0, one job, no --out or --text', () => {
    expect(parseArgs([])).toEqual({
      command: 'all',
      ids: [],
      reportDir: null,
      mode: 'quick',
      seed: 0,
      out: null,
      jobs: 1,
      text: null,
      help: false,
    });
    expect(parseArgs(['--quick']).command).toBe('all');
  });

  it('reads commands, positionals and every flag (space or = form)', () => {
    const o = parseArgs([
      'experiments',
      'post-ln',
      'rmsnorm',
      '--full',
      '--seed',
      '7',
      '--jobs=2',
      '--out',
      'r',
      '--text=t.txt',
    ]);
    expect(o).toMatchObject({
      command: 'experiments',
      ids: ['post-ln', 'rmsnorm'],
      mode: 'full',
      seed: 7,
      jobs: 2,
      out: 'r',
      text: 't.txt',
    });
    expect(parseArgs(['report', 'results/x']).reportDir).toBe('results/x');
    expect(parseArgs(['kernels', '--seed=4294967295']).seed).toBe(2 ** 32 - 1);
    expect(parseArgs(['matmul', '-h']).help).toBe(true);
    // flags may come before the command
    expect(parseArgs(['--full', 'kernels'])).toMatchObject({ command: 'kernels', mode: 'full' });
  });

  it.each([
    [['bogus'], /unknown command "bogus" \(expected one of kernels, matmul, experiments, report, all\)/],
    [['--fast'], /unknown option --fast/],
    [['--quick', '--full'], /--quick and --full cannot be combined/],
    [['--seed', 'x'], /--seed expects an integer from 0 to 4294967295, got "x"/],
    [['--seed', '-1'], /--seed expects an integer from 0 to 4294967295, got "-1"/],
    [['--seed', '1.5'], /--seed expects an integer/],
    [['--jobs', '0'], /--jobs expects an integer from 1 to 256, got "0"/],
    [['--jobs'], /--jobs expects a value/],
    [['--out', '--full'], /--out expects a value/],
    [['--out='], /--out expects a directory/],
    [['--text='], /--text expects a file/],
    [['--full=yes'], /--full takes no value/],
    [['report'], /report expects one results directory, got 0/],
    [['report', 'a', 'b'], /report expects one results directory, got 2/],
    [['kernels', 'extra'], /kernels takes no arguments, got "extra"/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

import type { Mode } from './experiments/types.js';

export const COMMANDS = ['kernels', 'matmul', 'experiments', 'report', 'all'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliOptions {
  command: Command;
  /** experiments: the ids to run (empty = all registered) */
  ids: string[];
  /** report: the results directory to re-render */
  reportDir: string | null;
  mode: Mode;
  seed: number;
  /** output directory; default results/<timestamp> */
  out: string | null;
  jobs: number;
  /** --text FILE: train on this UTF-8 text instead of the built-in data */
  text: string | null;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: normkit-bench [command] [options]

commands
  all                  kernels, matmul and the experiments (default)
  kernels              norm forward/backward table against the copy floor and peers
  matmul               matmul table against the copy floor and peers
  experiments [ids..]  run the named experiments (e.g. e5) in the chosen mode; without ids,
                       the quick run's (--quick) or every registered one (--full)
  report DIR           re-render DIR/report.html from DIR/results.json

options
  --quick              small shapes and few reps, experiments E1, E2 (reduced) and E9 only,
                       under two minutes on 2 cores (default)
  --full               every shape and every experiment, at least 7 reps per median, up to an hour
  --seed N             base seed of inputs and runs (default 0)
  --out DIR            write results.json and report.html to DIR (default results/<timestamp>)
  --jobs N             run up to N experiment jobs in parallel on worker threads (default 1)
  --text FILE          train the experiments on this UTF-8 text instead of the built-in data
  -h, --help           show this help`;

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} expects an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parse argv (without node and the script). Throws UsageError with a message naming the problem. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    command: 'all',
    ids: [],
    reportDir: null,
    mode: 'quick',
    seed: 0,
    out: null,
    jobs: 1,
    text: null,
    help: false,
  };
  const positionals: string[] = [];
  let quick = false;
  let full = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} expects a value`);
      i++;
      return next;
    };
    const noValue = () => {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '--quick':
        noValue();
        quick = true;
        break;
      case '--full':
        noValue();
        full = true;
        break;
      case '--seed':
        o.seed = integer('--seed', value(), 0, 2 ** 32 - 1);
        break;
      case '--jobs':
        o.jobs = integer('--jobs', value(), 1, 256);
        break;
      case '--out':
        o.out = value();
        if (o.out === '') throw new UsageError('--out expects a directory');
        break;
      case '--text':
        o.text = value();
        if (o.text === '') throw new UsageError('--text expects a file');
        break;
      case '-h':
      case '--help':
        noValue();
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (quick && full) throw new UsageError('--quick and --full cannot be combined');
  o.mode = full ? 'full' : 'quick';
  const [first, ...rest] = positionals;
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(
        `unknown command ${JSON.stringify(first)} (expected one of ${COMMANDS.join(', ')})`,
      );
    }
    o.command = first as Command;
  }
  if (o.command === 'experiments') o.ids = rest;
  else if (o.command === 'report') {
    if (rest.length !== 1) throw new UsageError(`report expects one results directory, got ${rest.length}`);
    o.reportDir = rest[0]!;
  } else if (rest.length > 0) {
    throw new UsageError(
      `${o.command} takes no arguments, got ${rest.map((r) => JSON.stringify(r)).join(' ')}`,
    );
  }
  return o;
}

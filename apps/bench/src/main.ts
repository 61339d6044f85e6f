import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CliOptions, parseArgs, USAGE, UsageError } from './args.js';
import { experiments as registered } from './experiments/registry.js';
import { selectExperiments, skippedLine } from './experiments/select.js';
import type { AnyExperiment } from './experiments/types.js';
import { isNormkit } from './kernels/backends.js';
import { formatKernelTable } from './kernels/format.js';
import { runMatmulTable } from './kernels/matmul.js';
import { PeerHost } from './kernels/peer-host.js';
import { type KernelOverrides, kernelPlan } from './kernels/plan.js';
import { NO_BACKWARD_PEER, runNormTable } from './kernels/table.js';
import { type Output, Progress } from './progress.js';
import { renderReport, samplesText } from './report/html.js';
import { environment, type Results, readResults, SCHEMA, timestampDir, writeResults } from './results.js';
import { runExperiments } from './runner/runner.js';
import { textTable } from './table.js';

export interface CliIo {
  stdout: Output;
  stderr: Output;
  cwd: string;
  now: () => Date;
}

/** Test hooks: a tiny kernel plan, a fake experiment list and the module workers import it from. */
export interface CliOverrides {
  kernels?: KernelOverrides;
  experiments?: readonly AnyExperiment[];
  registryModule?: string;
}

const defaultIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  now: () => new Date(),
});

/** Runs the CLI; returns the exit code (0 ok, 1 a normkit kernel or a run failed, 2 usage error). */
export async function runCli(
  argv: readonly string[],
  io: CliIo = defaultIo(),
  overrides: CliOverrides = {},
): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`normkit-bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (o.command === 'report') return rerender(o, io);
    return await run(o, argv, io, overrides);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`normkit-bench: ${error.message}\n`);
    return 2;
  }
}

function rerender(o: CliOptions, io: CliIo): number {
  const dir = resolve(io.cwd, o.reportDir!);
  let results: Results;
  try {
    results = readResults(dir);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const path = join(o.out ? resolve(io.cwd, o.out) : dir, 'report.html');
  writeFileSync(path, renderReport(results));
  io.stdout.write(`report: ${path}\n`);
  return 0;
}

function readText(path: string): { path: string; bytes: number } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(
      `--text: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`--text: ${path} is not valid UTF-8`);
  }
  return { path, bytes: bytes.length };
}

async function run(
  o: CliOptions,
  argv: readonly string[],
  io: CliIo,
  overrides: CliOverrides,
): Promise<number> {
  const started = performance.now();
  const text = o.text === null ? null : readText(resolve(io.cwd, o.text));
  const wantKernels = o.command === 'kernels' || o.command === 'all';
  const wantMatmul = o.command === 'matmul' || o.command === 'all';
  const wantExperiments = o.command === 'experiments' || o.command === 'all';
  const available = overrides.experiments ?? registered;
  const { selected, skipped } = wantExperiments
    ? selectExperiments(available, o.ids, o.mode)
    : { selected: [], skipped: [] };
  const outDir = o.out ? resolve(io.cwd, o.out) : join(io.cwd, 'results', timestampDir(io.now()));
  const progress = new Progress(io.stdout);
  io.stdout.write(`normkit-bench ${o.command} (${o.mode}), seed ${o.seed}, output ${outDir}\n`);
  const skippedNote = skippedLine(skipped);
  if (skippedNote !== null) io.stdout.write(`${skippedNote}\n`);

  const results: Results = {
    schema: SCHEMA,
    createdAt: io.now().toISOString(),
    command: [...argv],
    mode: o.mode,
    seed: o.seed,
    jobs: o.jobs,
    text,
    environment: environment(),
    kernels: null,
    matmul: null,
    experiments: null,
    durationMs: 0,
  };

  if (wantKernels || wantMatmul) {
    const plan = kernelPlan(o.mode, overrides.kernels);
    const host = plan.peers.length > 0 ? await PeerHost.start(plan.peers) : null;
    for (const p of host?.status ?? []) if (!p.available) progress.log(`peer skipped: ${p.note}`);
    try {
      if (wantKernels) results.kernels = await runNormTable(plan, o.seed, progress, host);
      if (wantMatmul) results.matmul = await runMatmulTable(plan, o.seed, progress, host);
    } finally {
      await host?.close();
    }
  }
  if (wantExperiments) {
    results.experiments = [];
    if (available.length === 0) progress.log('experiments: none registered yet');
    else if (selected.length === 0) progress.log('experiments: none is part of the quick run');
    else {
      results.experiments = await runExperiments({
        experiments: selected,
        mode: o.mode,
        seed: o.seed,
        jobs: o.jobs,
        textPath: text?.path ?? null,
        progress,
        registryModule: overrides.registryModule ?? null,
      });
    }
  }
  results.durationMs = performance.now() - started;

  const jsonPath = writeResults(outDir, results);
  const htmlPath = join(outDir, 'report.html');
  writeFileSync(htmlPath, renderReport(results));
  printSummary(io.stdout, results);
  io.stdout.write(`\nresults: ${jsonPath}\nreport:  ${htmlPath}\n`);
  return exitCode(results);
}

function printSummary(out: Output, r: Results): void {
  if (r.kernels)
    out.write(
      `\nNorm kernels (float32). ${samplesText(r.kernels)}\n${formatKernelTable(r.kernels.rows)}\n${NO_BACKWARD_PEER}\n`,
    );
  if (r.matmul)
    out.write(`\nMatmul (float32). ${samplesText(r.matmul)}\n${formatKernelTable(r.matmul.rows, true)}\n`);
  if (r.experiments && r.experiments.length > 0) {
    const rows = r.experiments.map((e) => [e.id, e.verdict.verdict, e.verdict.summary]);
    out.write(`\nExperiments\n${textTable(['id', 'verdict', 'summary'], rows)}\n`);
  }
}

/** 1 when a normkit kernel failed its reference check (or threw), or an experiment run failed. */
function exitCode(r: Results): number {
  const rows = [...(r.kernels?.rows ?? []), ...(r.matmul?.rows ?? [])];
  const badKernel = rows.some((x) => isNormkit(x.impl) && x.ok !== true);
  const badRun = (r.experiments ?? []).some((e) => e.runs.some((x) => x.error));
  return badKernel || badRun ? 1 : 0;
}

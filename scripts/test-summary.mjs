#!/usr/bin/env node
// Runs every package's tests through turbo and prints one plain closing line for CI:
//   N passed, N failed, N skipped
// Two passes: the default backend (WebAssembly SIMD where supported), then NORMKIT_BACKEND=js, the
// JS kernels that are the fallback and the oracle the wasm kernels are checked against. Both run
// with NORMKIT_POISON_UNINIT=1: every allocateUninit() output is NaN-filled before its kernel writes
// it, so a kernel that leaves an element unwritten fails its tests instead of reading as zero.
// Each package's vitest writes test-results/vitest.json (see @normkit/test-utils/vitest). A package
// with a test script whose report is missing (suite failed to load, or turbo skipped it because a
// dependency failed) counts as one failure, so a broken package can never read as green.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const groups = ['packages', 'apps', 'tooling'];
const extraArgs = process.argv.slice(2);
const passes = [
  { label: 'default backend', env: { NORMKIT_POISON_UNINIT: '1' } },
  { label: 'NORMKIT_BACKEND=js', env: { NORMKIT_BACKEND: 'js', NORMKIT_POISON_UNINIT: '1' } },
];

const testedPackages = [];
for (const group of groups) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgDir = join(dir, name);
    const manifest = join(pkgDir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (pkg.scripts?.test) testedPackages.push({ name: pkg.name, dir: pkgDir });
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
let turboFailed = false;
const rows = [];
for (const pass of passes) {
  for (const { dir } of testedPackages) rmSync(join(dir, 'test-results'), { recursive: true, force: true });
  console.log(`\n=== tests, ${pass.label} ===`);
  const turbo = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'test',
      '--continue=dependencies-successful',
      '--output-logs=new-only',
      ...extraArgs,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', ...pass.env } },
  );
  if (turbo.status !== 0) turboFailed = true;
  for (const { name, dir } of testedPackages) {
    const report = join(dir, 'test-results', 'vitest.json');
    if (!existsSync(report)) {
      failed += 1;
      rows.push(`${name} [${pass.label}]: no test report (suite did not run or failed to load)`);
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    const suiteErrors = (r.testResults ?? []).filter(
      (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
    ).length;
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + suiteErrors;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    rows.push(
      `${name} [${pass.label}]: ${r.numPassedTests} passed, ${r.numFailedTests + suiteErrors} failed` +
        (suiteErrors ? ` (${suiteErrors} file(s) failed to load)` : ''),
    );
  }
}

console.log('\nper package:');
for (const row of rows) console.log(`  ${row}`);
if (turboFailed && failed === 0) {
  failed += 1;
  console.log('  turbo exited non-zero with no failing test recorded: counting one failure');
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);

#!/usr/bin/env node
// Packaging check: what `npm i @normkit/<pkg>` gives a user.
// 1. publint --strict and attw --pack in every public package (exports map, types, ESM/CJS).
// 2. pnpm pack every public package (workspace:^ becomes a real range), install all tarballs into
//    a temporary npm project outside the workspace, then import each with ESM, require it with CJS,
//    and type-check a small TypeScript consumer against the published .d.ts files.
// Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const publicPackages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

const work = mkdtempSync(join(tmpdir(), 'normkit-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
try {
  for (const { dir, pkg } of publicPackages) {
    process.stdout.write(`${pkg.name}: publint --strict ... `);
    run(join(root, 'node_modules/.bin/publint'), ['--strict'], dir);
    process.stdout.write('attw --pack ... ');
    run(join(root, 'node_modules/.bin/attw'), ['--pack', '.', '--profile', 'node16'], dir);
    run('pnpm', ['pack', '--pack-destination', tarballs], dir);
    console.log('packed');
  }

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }),
  );
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], consumer);

  const names = publicPackages.map(({ pkg }) => pkg.name);
  // Every package must export at least these names; a smoke call per package proves the code runs.
  const smoke = {
    '@normkit/tensor': `const a = m.tensor([[1, 2], [3, 4]]); if (a.transpose().reshape([4]).get(1) !== 3) throw new Error('tensor smoke'); if (m.matmul(a, a).toArray()[1][1] !== 22) throw new Error('tensor matmul smoke');`,
    '@normkit/norms': `const r = m.layerNormForward(t.tensor([[1, 2, 3]]), [3]); if (Math.abs(r.y.toArray()[0][0] + 1.2247) > 1e-3) throw new Error('norms smoke');`,
  };
  for (const name of names) {
    const check =
      smoke[name] ?? `if (Object.keys(m).length === 0) throw new Error('${name} exports nothing');`;
    writeFileSync(
      join(consumer, 'esm.mjs'),
      `import * as m from '${name}';\nimport * as t from '@normkit/tensor';\n${check}\nconsole.log('esm ok');\n`,
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const m = require('${name}');\nconst t = require('@normkit/tensor');\n${check}\nconsole.log('cjs ok');\n`,
    );
    run('node', ['esm.mjs'], consumer);
    run('node', ['cjs.cjs'], consumer);
    console.log(`${name}: ESM import and CJS require ok`);
  }

  // Node-only subpaths (./node): import and require them too.
  for (const { pkg } of publicPackages) {
    if (!pkg.exports?.['./node']) continue;
    const sub = `${pkg.name}/node`;
    writeFileSync(
      join(consumer, 'esm.mjs'),
      `import * as m from '${sub}';\nif (!Object.keys(m).length) throw new Error('empty');\n`,
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const m = require('${sub}');\nif (!Object.keys(m).length) throw new Error('empty');\n`,
    );
    run('node', ['esm.mjs'], consumer);
    run('node', ['cjs.cjs'], consumer);
    console.log(`${sub}: ESM import and CJS require ok`);
  }

  writeFileSync(
    join(consumer, 'consumer.ts'),
    `${names.map((n, i) => `import * as p${i} from '${n}';`).join('\n')}\n` +
      `import { tensor, type Tensor } from '@normkit/tensor';\n` +
      `const t: Tensor = tensor([1, 2, 3]);\nconst shape: readonly number[] = t.shape;\n` +
      `export const used = [shape, ${names.map((_, i) => `p${i}`).join(', ')}];\n`,
  );
  for (const [moduleKind, resolution] of [
    ['nodenext', 'nodenext'],
    ['esnext', 'bundler'],
  ]) {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: moduleKind,
          moduleResolution: resolution,
          target: 'es2022',
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], consumer);
    console.log(`type-check of a consumer (module ${moduleKind}, resolution ${resolution}) ok`);
  }
  console.log(`pack check passed for ${names.length} package(s)`);
} catch (error) {
  console.error(`\npack check failed: ${error.message}`);
  if (error.stdout) console.error(error.stdout);
  if (error.stderr) console.error(error.stderr);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

#!/usr/bin/env node
// Compiles each package's WebAssembly kernels and embeds them as TypeScript.
//
//   node scripts/build-wasm.mjs [<package dir> ...]    write src/internal/wasm/<name>.wasm.generated.ts
//   node scripts/build-wasm.mjs --check [<dir> ...]    recompile and fail if a committed file differs
//
// Without a directory it handles every packages/* that has a wasm/ folder. Every wasm/<name>.ts
// (not subfolders: put shared helpers in wasm/lib/) is one AssemblyScript entry, compiled with the
// flags below into one module, which is written base64-encoded into
// src/internal/wasm/<name>.wasm.generated.ts as `export const wasmBase64 = '...'`. The generated
// files are committed so tests run on source and consumers need no compiler; `pnpm lint` runs
// --check, so a committed binary always matches its source and this build step.
//
// Every module must import exactly `env.memory` (the one WebAssembly.Memory @normkit/tensor owns
// and shares between all modules) and nothing else, and must have no data segments: a segment
// would be copied into the shared memory at instantiation, over whatever tensor lives there.
// Kernels therefore allocate nothing and use no strings (assertions are compiled out).
// The import is of a shared memory of at most 65536 pages (4 GiB): a module links only a memory
// of its declared kind, and @normkit/tensor's memory is shared (and grows) wherever the runtime
// allows. Elsewhere tensor patches the import's limits flag to non-shared before compiling
// (packages/tensor/src/internal/wasm/unshare.ts), which is valid only because kernels use no
// atomic instructions: checked below.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import asc from 'assemblyscript/asc';

const root = resolve(new URL('..', import.meta.url).pathname);
const FLAGS = [
  '--enable',
  'simd',
  '--enable',
  'threads',
  '--sharedMemory',
  '--maximumMemory',
  '65536',
  '-O3',
  '--runtime',
  'stub',
  '--importMemory',
  '--noExportMemory',
  '--noAssert',
  '--use',
  'abort=',
];
const ascVersion = createRequire(import.meta.url)('assemblyscript/package.json').version;

const args = process.argv.slice(2);
const check = args.includes('--check');
const dirs = args.filter((a) => a !== '--check').map((d) => resolve(d));
if (dirs.length === 0) {
  const packages = join(root, 'packages');
  for (const name of readdirSync(packages)) {
    if (existsSync(join(packages, name, 'wasm'))) dirs.push(join(packages, name));
  }
}

let problems = 0;
for (const dir of dirs) {
  const wasmDir = join(dir, 'wasm');
  const outDir = join(dir, 'src', 'internal', 'wasm');
  const entries = existsSync(wasmDir)
    ? readdirSync(wasmDir, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts'))
        .map((e) => e.name)
        .sort()
    : [];
  const expected = new Set();
  for (const entry of entries) {
    const name = basename(entry, '.ts');
    const target = join(outDir, `${name}.wasm.generated.ts`);
    expected.add(target);
    const source = join(wasmDir, entry);
    const { binary, text: wat } = await compile(source);
    const invalid = validate(binary, wat);
    if (invalid) {
      console.error(`${relative(root, source)}: ${invalid}`);
      problems += 1;
      continue;
    }
    const text = render(relative(root, source), relative(root, dir), binary);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
    if (current === text) continue;
    if (check) {
      console.error(
        `${relative(root, target)} is ${current === null ? 'missing' : 'stale'}: run node scripts/build-wasm.mjs ${relative(root, dir)}`,
      );
      problems += 1;
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      console.log(`wrote ${relative(root, target)} (${binary.length} bytes of wasm)`);
    }
  }
  // a generated file whose source is gone is an orphaned binary
  if (existsSync(outDir)) {
    for (const file of readdirSync(outDir)) {
      const path = join(outDir, file);
      if (!file.endsWith('.wasm.generated.ts') || expected.has(path)) continue;
      if (check) {
        console.error(`${relative(root, path)} has no source in ${relative(root, wasmDir)}`);
        problems += 1;
      } else {
        rmSync(path);
        console.log(`removed ${relative(root, path)} (its source is gone)`);
      }
    }
  }
}
if (problems) process.exit(1);
if (check) console.log(`build-wasm check: ${dirs.length} package(s), generated wasm matches its source`);

/** Compile one entry in memory; asc writes nothing to disk (writeFile captures the outputs). */
async function compile(source) {
  let binary = null;
  let text = '';
  const stderr = [];
  const outputs = ['--outFile', 'module.wasm', '--textFile', 'module.wat'];
  const { error } = await asc.main([source, ...FLAGS, ...outputs], {
    stdout: { write: () => {} },
    stderr: { write: (s) => stderr.push(String(s)) },
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) binary = contents;
      else text = String(contents);
    },
  });
  if (error || !binary) {
    console.error(stderr.join(''));
    console.error(`${relative(root, source)}: compilation failed${error ? `: ${error.message}` : ''}`);
    process.exit(1);
  }
  return { binary, text };
}

/** Why a module may not share @normkit/tensor's memory, or null when it may. */
function validate(binary, wat) {
  const module = new WebAssembly.Module(binary);
  const imports = WebAssembly.Module.imports(module);
  const other = imports.filter((i) => !(i.module === 'env' && i.name === 'memory' && i.kind === 'memory'));
  if (other.length || imports.length !== 1) {
    const list = imports.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', ') || 'nothing';
    return `the module must import env.memory and nothing else, it imports ${list} (an allocation, a string or an abort call pulls in the runtime)`;
  }
  if (!/\(import "env" "memory" \(memory \$\d+ \d+ 65536 shared\)\)/.test(wat)) {
    return 'the memory import must be shared with maximum 65536 pages (the --sharedMemory flags)';
  }
  if (/atomic\.|\.atomic/.test(wat)) {
    return 'the module uses atomic instructions; the non-shared memory path (a patched import) cannot run it';
  }
  if (dataSegmentCount(binary) > 0) {
    return 'the module has data segments (constant arrays or strings); they would overwrite tensors in the shared memory';
  }
  // the stub runtime bumps a pointer from the end of the static data and grows the memory: either
  // would write over tensors (and growing detaches every view of the old buffer)
  if (/~lib\/rt\/|\(start |memory\.grow/.test(wat)) {
    return 'the module allocates (new, arrays, strings, closures) or grows the memory; kernels take byte offsets and allocate nothing';
  }
  return null;
}

/** Number of segments in the data section (id 11), walking the section headers. */
function dataSegmentCount(bytes) {
  let pos = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[pos++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 11) return leb();
    pos = end;
  }
  return 0;
}

function render(source, dir, binary) {
  const hash = createHash('sha256').update(binary).digest('hex');
  const base64 = globalThis.Buffer.from(binary).toString('base64');
  return [
    `// Generated by scripts/build-wasm.mjs from ${source}: do not edit.`,
    `// Rebuild: node scripts/build-wasm.mjs ${dir}   (checked by pnpm lint)`,
    `// assemblyscript ${ascVersion} ${FLAGS.join(' ')}`,
    `// ${binary.length} bytes, sha256 ${hash}`,
    `export const wasmBase64 =\n  '${base64}';`,
    '',
  ].join('\n');
}

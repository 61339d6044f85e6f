#!/usr/bin/env node
// Core packages (everything under packages/) must bundle for browsers: their main entry may not
// reach a `node:` import or a Node built-in. Node-only helpers live in src/node.ts (the ./node
// subpath export). biome's noNodejsModules catches direct imports in source; this check follows
// the built ESM entry, which also catches a Node import pulled in through a dependency chain.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

let problems = 0;
const packagesDir = join(root, 'packages');
for (const name of existsSync(packagesDir) ? readdirSync(packagesDir) : []) {
  const srcDir = join(packagesDir, name, 'src');
  if (!existsSync(srcDir)) continue;
  const stack = [srcDir];
  while (stack.length) {
    const dir = stack.pop();
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node') stack.push(path);
        continue;
      }
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name === 'node.ts')
        continue;
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (builtins.has(spec)) {
          problems += 1;
          console.error(
            `${path.slice(root.length)}: imports '${spec}' (core packages must run in browsers; move it to src/node.ts)`,
          );
        }
      }
      if (/\bprocess\.(env|argv|exit)|\bBuffer\./.test(text)) {
        problems += 1;
        console.error(`${path.slice(root.length)}: uses a Node global (process/Buffer) outside src/node.ts`);
      }
    }
  }
}
if (problems) process.exit(1);
console.log('browser-safe check: core packages import no Node built-ins outside their ./node entry');

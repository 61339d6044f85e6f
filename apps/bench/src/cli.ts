/** The normkit-bench command (dist/cli.js). Everything lives in main.ts so tests can drive it. */
import './wasm-memory.js';
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));

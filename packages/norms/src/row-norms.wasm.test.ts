// The LayerNorm/RMSNorm conformance suites again, on the wasm backend: the same PyTorch and exact
// fixtures, hard inputs, identities and properties, with the same tolerances. The first import
// switches the backend before the suites create any tensor (ES modules evaluate in import order).
import '../test/wasm/use-wasm-backend.js';
import './layer-norm.test.js';
import './layer-norm.api.test.js';
import './rms-norm.test.js';
import './rms-norm.api.test.js';
import './row-norms.property.test.js';
import './identities.test.js';
import './row-norms.gradcheck.test.js';
import { afterAll, expect } from 'vitest';
import { wasmCalls } from './internal/wasm/runtime.js';

afterAll(() => {
  // the suites above really ran the wasm kernels (float64 cases take the JS kernels)
  expect(wasmCalls.rowsForward).toBeGreaterThan(0);
  expect(wasmCalls.rowsBackward).toBeGreaterThan(0);
});

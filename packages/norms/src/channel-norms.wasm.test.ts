// The BatchNorm/GroupNorm/InstanceNorm conformance suites again, on the wasm backend: the same
// PyTorch fixtures, hard inputs, gradchecks and identities, with the same tolerances. The first
// import switches the backend before the suites create any tensor (ES modules evaluate in order).
import '../test/wasm/use-wasm-backend.js';
import './batch-norm.test.js';
import './group-norm.test.js';
import './instance-norm.test.js';
import './channel-norms.test.js';
import './channel-norms.errors.test.js';
import { afterAll, expect } from 'vitest';
import { wasmCalls } from './internal/wasm/runtime.js';

afterAll(() => {
  // the suites above really ran the wasm kernels (float64 cases take the JS kernels)
  expect(wasmCalls.batchForward).toBeGreaterThan(0);
  expect(wasmCalls.groupForward).toBeGreaterThan(0);
  expect(wasmCalls.channelBackward).toBeGreaterThan(0);
});

import type { MessagePort } from 'node:worker_threads';
import { checkMatmulSample, checkOutputs } from '../kernels/check.js';
import { matmulInputs, normInputs } from '../kernels/inputs.js';
import { measure, measureAsync } from '../timing.js';
import { loadOrt, ORT_VARIANTS, prepareOrtMatmul, prepareOrtNorm } from './onnx.js';
import type { PeerName, PeerReply, PeerRequest, PeerRow } from './protocol.js';
import { loadTf, prepareTfMatmul, prepareTfNorm } from './tfjs.js';

type Loaded =
  | { kind: 'ort'; ort: Awaited<ReturnType<typeof loadOrt>>['ort'] }
  | { kind: 'tf'; tf: Awaited<ReturnType<typeof loadTf>>['tf']; impl: string; note: string };

/**
 * A peer library in its own worker isolate: it regenerates each case's inputs from the seed, checks
 * its outputs against the float64 reference sent by the main thread (copied, never transferred),
 * and only then times the call. A check failure is reported instead of a time.
 */
export async function servePeer(port: MessagePort, data: { peer: PeerName }): Promise<void> {
  let loaded: Loaded | null = null;
  const reply = (r: PeerReply) => port.postMessage(r);
  port.on('message', async (msg: PeerRequest) => {
    try {
      if (msg.type === 'init') {
        try {
          if (data.peer === 'onnxruntime') {
            const { ort, version } = await loadOrt();
            loaded = { kind: 'ort', ort };
            reply({ type: 'ready', available: true, version, note: '' });
          } else {
            const backend = data.peer === 'tfjs-wasm' ? 'wasm' : 'cpu';
            const { tf, version, note } = await loadTf(backend);
            loaded = { kind: 'tf', tf, impl: data.peer, note };
            reply({ type: 'ready', available: true, version, note });
          }
        } catch (error) {
          reply({
            type: 'ready',
            available: false,
            version: '',
            note: `${data.peer} not available: ${(error as Error).message.split('\n')[0]}`,
          });
        }
        return;
      }
      if (!loaded) throw new Error(`peer ${data.peer} is not initialised`);
      reply({ type: 'rows', rows: await measurePeer(loaded, msg) });
    } catch (error) {
      reply({ type: 'error', message: (error as Error).stack ?? String(error) });
    }
  });
}

async function measurePeer(p: Loaded, msg: Exclude<PeerRequest, { type: 'init' }>): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  if (msg.type === 'norm') {
    const inp = normInputs(msg.case, msg.seed);
    if (p.kind === 'tf') {
      const run = prepareTfNorm(p.tf, msg.case, inp);
      if ('unsupported' in run) return [{ impl: p.impl, timing: null, check: null, note: run.unsupported }];
      try {
        run.run();
        const check = checkOutputs(run.outputs(), msg.reference);
        const timing = check.ok ? measure(run.run, msg.policy) : null;
        return [{ impl: p.impl, timing, check, note: p.note }];
      } finally {
        run.dispose?.();
      }
    }
    for (const v of ORT_VARIANTS) {
      const run = await prepareOrtNorm(p.ort, msg.case, inp, v.options).catch((e: Error) => ({
        unsupported: e.message.split('\n')[0]!,
      }));
      if ('unsupported' in run) {
        rows.push({ impl: v.impl, timing: null, check: null, note: run.unsupported });
        continue;
      }
      try {
        const check = checkOutputs(await run.outputs(), msg.reference);
        const timing = check.ok ? await measureAsync(run.run, msg.policy) : null;
        rows.push({ impl: v.impl, timing, check, note: '' });
      } finally {
        await run.release();
      }
    }
    return rows;
  }
  const { m, k, n } = msg;
  const { a, b } = matmulInputs(m, k, n, msg.seed);
  if (p.kind === 'tf') {
    const run = prepareTfMatmul(p.tf, a, b, m, k, n);
    try {
      run.run();
      const check = checkMatmulSample(a, b, run.outputs().C!, m, k, n, msg.samples);
      return [{ impl: p.impl, timing: check.ok ? measure(run.run, msg.policy) : null, check, note: p.note }];
    } finally {
      run.dispose?.();
    }
  }
  for (const v of ORT_VARIANTS) {
    const run = await prepareOrtMatmul(p.ort, a, b, m, k, n, v.options);
    try {
      const check = checkMatmulSample(a, b, (await run.outputs()).C!, m, k, n, msg.samples);
      const timing = check.ok ? await measureAsync(run.run, msg.policy) : null;
      rows.push({ impl: v.impl, timing, check, note: '' });
    } finally {
      await run.release();
    }
  }
  return rows;
}

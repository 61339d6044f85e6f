import type { Worker } from 'node:worker_threads';
import type { PeerName, PeerReply, PeerRequest, PeerRow } from '../peers/protocol.js';
import { startWorker } from '../runner/worker-entry.js';

export interface PeerStatus {
  name: PeerName;
  available: boolean;
  version: string;
  note: string;
}

/**
 * The main thread's side of the peers: one worker (isolate) per peer library, started once and
 * asked one case at a time, so peers never run while normkit is being timed and never share an
 * isolate with it (or with each other: tfjs-wasm grows its memory, which would slow tfjs-cpu's
 * typed-array loops if they shared an isolate).
 */
export class PeerHost {
  private constructor(
    private readonly workers: Map<PeerName, Worker>,
    readonly status: PeerStatus[],
  ) {}

  static async start(names: readonly PeerName[]): Promise<PeerHost> {
    const workers = new Map<PeerName, Worker>();
    const status: PeerStatus[] = [];
    for (const name of names) {
      const worker = startWorker({ role: 'peer', peer: name });
      try {
        const r = await request(worker, { type: 'init' });
        if (r.type !== 'ready') throw new Error(`unexpected reply ${r.type}`);
        status.push({ name, available: r.available, version: r.version, note: r.note });
        if (r.available) workers.set(name, worker);
        else await worker.terminate();
      } catch (error) {
        status.push({
          name,
          available: false,
          version: '',
          note: `${name} failed to start: ${(error as Error).message}`,
        });
        await worker.terminate();
      }
    }
    return new PeerHost(workers, status);
  }

  /** Ask every available peer, one after the other. */
  async ask(msg: Exclude<PeerRequest, { type: 'init' }>): Promise<PeerRow[]> {
    const rows: PeerRow[] = [];
    for (const [name, worker] of this.workers) {
      const r = await request(worker, msg).catch(
        (e: Error) => ({ type: 'error', message: e.message }) as PeerReply,
      );
      if (r.type === 'rows') rows.push(...r.rows);
      else if (r.type === 'error')
        rows.push({ impl: name, timing: null, check: null, note: `failed: ${r.message.split('\n')[0]}` });
    }
    return rows;
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.terminate()));
    this.workers.clear();
  }
}

function request(worker: Worker, msg: PeerRequest): Promise<PeerReply> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (r: PeerReply) => {
      cleanup();
      resolve(r);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`peer worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    // structured clone copies the reference arrays; no transfer list, so nothing is detached
    worker.postMessage(msg);
  });
}

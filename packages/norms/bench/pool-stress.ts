// A stress run of the kernel pool's handshake (@normkit/tensor/node): N back-to-back LayerNorm
// forward + backward calls on [1024, 1024], each split over 2 threads, then stop() and "ok":
//   for i in $(seq 1 40); do timeout 40 node --conditions=@normkit/source --import tsx bench/pool-stress.ts 200 | tail -1; done | sort | uniq -c
// A run that prints no "ok" hung. With the first handshake (a wait on a second load of the reply
// slot) 3 runs of 14 hung at N = 100; with the current one, none of 40 at N = 200.
import { randn, tidy } from '@normkit/tensor';
import { startKernelPool } from '@normkit/tensor/node';
import { layerNormBackward, layerNormForward } from '../src/index.js';
import { setBackwardParallelMinElements, setParallelMinElements } from '../src/internal/wasm/rows.js';

const pool = startKernelPool({ threads: 2 });
setParallelMinElements(0);
setBackwardParallelMinElements(0);
const x = randn([1024, 1024], { seed: 1 });
const dy = randn([1024, 1024], { seed: 2 });
const n = Number(process.argv[2] ?? 200);
for (let i = 0; i < n; i++)
  tidy(() => {
    const { mean, rstd } = layerNormForward(x, [1024]);
    layerNormBackward(dy, x, [1024], { mean, rstd });
  });
console.log('loop done');
await pool.stop();
console.log('ok');

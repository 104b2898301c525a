// Measures the f32 GEMM throughput of the wasm build on a BERT-base feed-forward product:
// [128 x 768] x [768 x 3072], through XNNPACK's fully-connected operator, one thread.
// Usage: node bench/gemm.mjs [--runs N]
import { loadRuntime } from '../web/runtime.js';
import { unwrapWasmResult } from '../web/errors.js';
import { randomFloats, seededRandom } from '../wasm_tests/helpers/reference.mjs';

const ROWS = 128;
const N_IN = 768;
const N_OUT = 3072;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export async function benchmarkGemm({ runs = 15, warmup = 3 } = {}) {
  const module = await loadRuntime();
  const random = seededRandom(7);
  const weight = randomFloats(random, N_IN * N_OUT, 0.05);
  const handle = unwrapWasmResult(module.fullyConnectedCreate(N_IN, N_OUT, weight, null, false));
  try {
    const times = unwrapWasmResult(module.fullyConnectedTime(handle, ROWS, warmup + runs)).slice(warmup);
    const flops = 2 * ROWS * N_IN * N_OUT;
    const gflops = times.map((ms) => flops / (ms * 1e6));
    return {
      shape: `${ROWS}x${N_IN} by ${N_IN}x${N_OUT}`,
      runs,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      medianGflops: median(gflops),
    };
  } finally {
    module.fullyConnectedDelete(handle);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runsIndex = process.argv.indexOf('--runs');
  const runs = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 15;
  const result = await benchmarkGemm({ runs });
  process.stdout.write(
    `f32 GEMM ${result.shape} (XNNPACK fully-connected, wasm SIMD, 1 thread, Node ${process.version}): ` +
      `median ${result.medianMs.toFixed(2)} ms = ${result.medianGflops.toFixed(1)} GFLOP/s ` +
      `(min ${result.minMs.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms, ${result.runs} runs)\n`,
  );
}

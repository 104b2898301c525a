// Times adapterkit's encoder forward pass on a random-weight BERT-base-shaped model at 16, 64
// and 128 tokens with batch 1 and 8, one thread, in Node. Prints the median and spread.
// Usage: node bench/forward.mjs [--shape bert-base|minilm-l6] [--runs N]
import { loadBaseModel } from '../web/base_model.js';
import { median } from './gemm.mjs';
import { writeRandomModel } from './random_model.mjs';
import { seededRandom } from '../wasm_tests/helpers/reference.mjs';

export function randomIdRows(batch, length, vocab, seed) {
  const random = seededRandom(seed);
  // [CLS] (id 2), random ids past the special tokens, [SEP] (id 3).
  const row = () => {
    const ids = [2];
    for (let t = 1; t < length - 1; t++) ids.push(5 + Math.floor(random() * (vocab - 5)));
    if (length > 1) ids.push(3);
    return ids;
  };
  return Array.from({ length: batch }, row);
}

export async function benchmarkForward(model, { lengths = [16, 64, 128], batches = [1, 8], runs = 7, warmup = 2 } = {}) {
  const results = [];
  for (const batch of batches) {
    for (const length of lengths) {
      const rows = randomIdRows(batch, length, model.config.vocabSize, length * 31 + batch);
      const times = [];
      for (let i = 0; i < warmup + runs; i++) {
        const start = performance.now();
        await model.embedIds(rows, { outputs: ['poolerOutput'] });
        if (i >= warmup) times.push(performance.now() - start);
      }
      results.push({ batch, length, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), runs });
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const option = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : fallback;
  };
  const shape = option('--shape', 'bert-base');
  const runs = Number(option('--runs', 7));
  const folder = await writeRandomModel(shape, new URL(`../build/bench-models/${shape}`, import.meta.url).pathname);
  const model = await loadBaseModel(folder);
  process.stdout.write(`adapterkit forward, ${shape} shape (random weights), Node ${process.version}, wasm SIMD, 1 thread\n`);
  for (const r of await benchmarkForward(model, { runs })) {
    process.stdout.write(
      `  batch ${r.batch} x ${String(r.length).padStart(3)} tokens: median ${r.medianMs.toFixed(1).padStart(7)} ms ` +
        `(min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}, ${r.runs} runs)\n`,
    );
  }
  model.dispose();
}

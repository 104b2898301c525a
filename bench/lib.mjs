// Measurement code shared by the Node child processes (bench/node_child.mjs) and the Chromium
// bench page (bench/browser_page.mjs). It imports nothing Node-specific, so both run the same
// timing loops on the same inputs.
import { seededRandom } from '../wasm_tests/helpers/reference.mjs';

/**
 * The benchmark models, as paths from the repository root. bench/random_model.mjs writes the
 * random-weight BERT-base folder, tools/setup_model.sh the MiniLM one, and bench/export_onnx.py
 * the ONNX exports and their reference.json.
 */
export const MODELS = {
  'bert-base': {
    folder: 'build/bench-models/bert-base',
    onnxFolder: 'build/bench-models/bert-base-onnx',
    onnx: 'build/bench-models/bert-base-onnx/model.onnx',
    reference: 'build/bench-models/bert-base-onnx/reference.json',
    vocabSize: 30522,
  },
  minilm: {
    folder: 'build/models/all-MiniLM-L6-v2/f32',
    onnxFolder: 'build/bench-models/all-MiniLM-L6-v2-onnx',
    onnx: 'build/bench-models/all-MiniLM-L6-v2-onnx/onnx/model.onnx',
    reference: 'build/bench-models/all-MiniLM-L6-v2-onnx/reference.json',
    vocabSize: 30522,
    // transformers.js reads <localModelPath>/<model id>/{config.json, tokenizer.json, onnx/model.onnx}.
    transformersRoot: 'build/bench-models/',
    transformersId: 'all-MiniLM-L6-v2-onnx',
  },
};

/** Batch x tokens of the BERT-base forward comparison. */
export const FORWARD_SHAPES = [
  [1, 16],
  [1, 64],
  [1, 128],
  [8, 16],
  [8, 64],
  [8, 128],
];

/** The batch and length of the cold-start forward: one short query. */
export const COLD_START_SHAPE = [1, 16];

/** Token ids of BERT's uncased vocabulary, which both benchmark models use: [CLS], [SEP]. */
const CLS_ID = 101;
const SEP_ID = 102;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Summarises timed runs in milliseconds. */
export function summarize(times) {
  return {
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    runs: times.length,
    timesMs: times.map((t) => Math.round(t * 1000) / 1000),
  };
}

/**
 * Builds `batch` rows of `length` token ids: [CLS], random ordinary ids, [SEP]. The seed depends
 * only on the shape, so every runtime and environment gets the same ids.
 */
export function tokenRows(batch, length, vocabSize) {
  const random = seededRandom(batch * 1000 + length);
  return Array.from({ length: batch }, () => {
    const row = Array.from({ length }, () => 1000 + Math.floor(random() * (vocabSize - 1000)));
    row[0] = CLS_ID;
    row[length - 1] = SEP_ID;
    return row;
  });
}

/** Times `run` `warmup + runs` times and summarises the last `runs`; returns the last result too. */
export async function timeRuns(run, { warmup, runs }) {
  const times = [];
  let last;
  for (let i = 0; i < warmup + runs; i++) {
    const start = performance.now();
    last = await run();
    if (i >= warmup) times.push(performance.now() - start);
  }
  return { ...summarize(times), last };
}

/**
 * Records every WebAssembly.Memory that a module instantiated from now on imports or exports, by
 * wrapping WebAssembly.instantiate and instantiateStreaming. A memory only grows, so the sum of
 * their current sizes is the peak wasm memory of those modules so far. Call it before loading a
 * runtime.
 * @returns {{ bytes: () => number, count: () => number }}
 */
export function watchWasmMemory() {
  const memories = new Set();
  const collect = (value, depth) => {
    if (!value || typeof value !== 'object' || depth > 2) return;
    if (value instanceof WebAssembly.Memory) {
      memories.add(value);
      return;
    }
    for (const key of Object.keys(value)) collect(value[key], depth + 1);
  };
  const record = (result, imports) => {
    collect(imports, 0);
    collect((result instanceof WebAssembly.Instance ? result : result.instance).exports, 1);
    return result;
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (source, imports) => record(await instantiate.call(WebAssembly, source, imports), imports);
  const streaming = WebAssembly.instantiateStreaming;
  if (typeof streaming === 'function') {
    WebAssembly.instantiateStreaming = async (source, imports) => record(await streaming.call(WebAssembly, source, imports), imports);
  }
  return {
    bytes: () => [...memories].reduce((sum, memory) => sum + memory.buffer.byteLength, 0),
    count: () => memories.size,
  };
}

/** Returns the largest |a[i] - b[i]|, or null when the lengths differ. */
export function maxAbsDifference(a, b) {
  if (!a || !b || a.length !== b.length) return null;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/**
 * Compares a last_hidden_state [B, T, H] with torch's on the valid tokens of the reference batch
 * written by bench/export_onnx.py (reference.json), skipping padded positions.
 */
export function differenceFromTorch(reference, hidden) {
  const [B, T, H] = reference.dims;
  let worst = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (!reference.attentionMask[b][t]) continue;
      for (let h = 0; h < H; h++) {
        const i = (b * T + t) * H + h;
        worst = Math.max(worst, Math.abs(hidden[i] - reference.lastHiddenState[i]));
      }
    }
  }
  return worst;
}

/** Returns the rows of the reference batch without their padding. */
export function referenceRows(reference) {
  return reference.inputIds.map((row, b) => row.filter((_, t) => reference.attentionMask[b][t] === 1));
}

/**
 * Measures adapterkit: cold start (instantiate from wasm bytes, load the model from file bytes,
 * first forward of COLD_START_SHAPE), then each shape. Both runtimes produce
 * last_hidden_state and pooler_output.
 * @param {object} options
 * @param {object} options.api adapterkit's web/index.js module, already imported
 * @param {Uint8Array} options.wasmBinary
 * @param {Record<string, Uint8Array|null>} options.files as readModelFolder returns them
 * @param {number[][]} options.shapes [batch, tokens] or [batch, tokens, warmup, runs]; warmup
 *   and runs default to options.warmup and options.runs
 * @param {(shape: number[], data: Float32Array) => Promise<void>|void} [options.onOutput]
 *   receives the last_hidden_state of the last run of each shape
 * @param {object|null} [options.reference] contents of reference.json
 */
export async function benchAdapterkit({ api, wasmBinary, files, shapes, warmup, runs, onOutput, reference = null, memory }) {
  const outputs = ['lastHiddenState', 'poolerOutput'];
  const t0 = performance.now();
  await api.loadRuntime({ wasmBinary });
  const t1 = performance.now();
  const base = await api.BaseModel.fromFiles(files, { wasmBinary });
  const t2 = performance.now();
  const [coldBatch, coldLength] = COLD_START_SHAPE;
  await base.embedIds(tokenRows(coldBatch, coldLength, base.config.vocabSize), { outputs });
  const t3 = performance.now();
  const result = {
    runtime: 'adapterkit',
    coldStart: { totalMs: t3 - t0, instantiateMs: t1 - t0, loadMs: t2 - t1, firstForwardMs: t3 - t2, shape: COLD_START_SHAPE },
    wasmMemoryAfterLoadBytes: memory?.bytes() ?? null,
    shapes: [],
  };
  for (const [batch, length, shapeWarmup = warmup, shapeRuns = runs] of shapes) {
    const rows = tokenRows(batch, length, base.config.vocabSize);
    const timing = await timeRuns(() => base.embedIds(rows, { outputs }), { warmup: shapeWarmup, runs: shapeRuns });
    await onOutput?.([batch, length], timing.last.lastHiddenState.data);
    delete timing.last;
    result.shapes.push({ batch, length, ...timing });
  }
  if (reference) {
    const hidden = await base.embedIds(referenceRows(reference), { outputs: ['lastHiddenState'] });
    result.maxDifferenceFromTorch = differenceFromTorch(reference, hidden.lastHiddenState.data);
  }
  result.wasmMemoryBytes = memory?.bytes() ?? null;
  base.dispose();
  return result;
}

/** Builds onnxruntime feeds for rows of equal length (attention mask all ones). */
export function ortFeeds(ort, rows, mask = null) {
  const batch = rows.length;
  const length = rows[0].length;
  const ids = new BigInt64Array(batch * length);
  rows.forEach((row, b) => row.forEach((id, t) => (ids[b * length + t] = BigInt(id))));
  const attention = new BigInt64Array(batch * length).fill(1n);
  if (mask) mask.flat().forEach((value, i) => (attention[i] = BigInt(value)));
  return {
    input_ids: new ort.Tensor('int64', ids, [batch, length]),
    attention_mask: new ort.Tensor('int64', attention, [batch, length]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch * length), [batch, length]),
  };
}

/**
 * Measures onnxruntime-web's wasm execution provider like benchAdapterkit: cold start (session
 * creation from the model bytes, which instantiates the wasm module on first use, then the first
 * run), then each shape. The caller sets ort.env.wasm (numThreads, wasmBinary, wasmPaths) first.
 */
export async function benchOrt({ ort, modelBytes, vocabSize, shapes, warmup, runs, onOutput, reference = null, memory }) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const t1 = performance.now();
  const [coldBatch, coldLength] = COLD_START_SHAPE;
  await session.run(ortFeeds(ort, tokenRows(coldBatch, coldLength, vocabSize)));
  const t2 = performance.now();
  const result = {
    runtime: 'onnxruntime-web',
    coldStart: { totalMs: t2 - t0, sessionCreateMs: t1 - t0, firstForwardMs: t2 - t1, shape: COLD_START_SHAPE },
    wasmMemoryAfterLoadBytes: memory?.bytes() ?? null,
    numThreads: ort.env.wasm.numThreads,
    version: ort.env.versions?.web ?? null,
    shapes: [],
  };
  for (const [batch, length, shapeWarmup = warmup, shapeRuns = runs] of shapes) {
    const feeds = ortFeeds(ort, tokenRows(batch, length, vocabSize));
    const timing = await timeRuns(() => session.run(feeds), { warmup: shapeWarmup, runs: shapeRuns });
    await onOutput?.([batch, length], timing.last.last_hidden_state.data);
    delete timing.last;
    result.shapes.push({ batch, length, ...timing });
  }
  if (reference) {
    const out = await session.run(ortFeeds(ort, reference.inputIds, reference.attentionMask));
    result.maxDifferenceFromTorch = differenceFromTorch(reference, out.last_hidden_state.data);
  }
  result.wasmMemoryBytes = memory?.bytes() ?? null;
  await session.release();
  return result;
}

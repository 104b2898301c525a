// Runs one benchmark job in a fresh Node process, so each runtime's cold start, resident memory
// and wasm memory are measured without the other runtime in the same process. bench/run.mjs
// starts it as `node bench/node_child.mjs '<job JSON>'` and reads the last stdout line, which is
// `RESULT <json>`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { MODELS, benchAdapterkit, benchOrt, summarize, timeRuns, tokenRows, watchWasmMemory } from './lib.mjs';

const repoRoot = new URL('..', import.meta.url).pathname;
const fromRoot = (path) => join(repoRoot, path);
const ORT_DIST = fromRoot('node_modules/onnxruntime-web/dist/');
// Every .wasm in onnxruntime-web 1.31.1's dist/ is a SIMD build with thread support (there is no
// non-SIMD file). This one is the plain build that the wasm-only entry loads, and it runs one
// thread when numThreads is 1.
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.wasm';

/** Reads resident memory figures of this process from /proc/self/status, in bytes. */
function residentMemory() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/**
 * Starts measuring the resident-set growth from now on: resets the kernel's peak-RSS counter
 * (writing 5 to clear_refs, Linux 4.0+) so that earlier file reads do not count.
 */
function startResidentMeasure() {
  let reset = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    reset = true;
  } catch {
    // Without the reset the peak may include what happened before the baseline.
  }
  const baseline = residentMemory().rss;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  return () => {
    const { peak } = residentMemory();
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - wallStart;
    return {
      rssBaselineBytes: baseline,
      rssPeakBytes: peak,
      rssPeakDeltaBytes: peak - baseline,
      peakCounterReset: reset,
      // CPU time over wall time: about 1 for one busy thread, more when worker threads compute.
      cpuPerWall: (cpu.user + cpu.system) / 1000 / wallMs,
    };
  };
}

async function readModelFiles(folder) {
  const { readModelFolder } = await import('../web/base_model.js');
  return readModelFolder(fromRoot(folder));
}

async function importOrt() {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  // With a local path set, neither onnxruntime-web nor transformers.js (which otherwise points it
  // at a CDN) fetches anything. The glue module comes from there and the binary is handed in.
  ort.env.wasm.wasmPaths = new URL(`file://${ORT_DIST}`).href;
  ort.env.wasm.wasmBinary = new Uint8Array(await readFile(join(ORT_DIST, ORT_WASM_FILE)));
  // Import the glue now so that the cold start, as in the adapterkit case, excludes reading JS.
  await import(new URL(`file://${ORT_DIST}ort-wasm-simd-threaded.mjs`).href);
  return ort;
}

async function saveTensor(directory, name, data) {
  if (!directory) return;
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, `${name}.f32`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

async function forwardJob(job) {
  const model = MODELS[job.model];
  const memory = watchWasmMemory();
  const reference = JSON.parse(await readFile(fromRoot(model.reference), 'utf8'));
  const onOutput = (shape, data) => saveTensor(job.tensorsDir, `${job.runtime}-${job.model}-${shape[0]}x${shape[1]}`, data);
  const common = { shapes: job.shapes, warmup: job.warmup, runs: job.runs, onOutput, reference, memory };
  if (job.runtime === 'adapterkit') {
    const api = await import('../web/index.js');
    await import('../dist/adapterkit.mjs');
    const wasmBinary = new Uint8Array(await readFile(fromRoot('dist/adapterkit.wasm')));
    const files = await readModelFiles(model.folder);
    const finish = startResidentMeasure();
    const result = await benchAdapterkit({ api, wasmBinary, files, ...common });
    const process = finish();
    // Right after the forward runs, in the same process, so both see the same machine load.
    const gemms = job.profile ? await timeGemms(await api.loadRuntime(), { shapes: job.shapes, ...job.profile }) : undefined;
    return { ...result, process, wasmFile: 'dist/adapterkit.wasm', gemms };
  }
  const ort = await importOrt();
  const modelBytes = new Uint8Array(await readFile(fromRoot(model.onnx)));
  const finish = startResidentMeasure();
  const result = await benchOrt({ ort, modelBytes, vocabSize: model.vocabSize, ...common });
  return { ...result, process: finish(), wasmFile: `node_modules/onnxruntime-web/dist/${ORT_WASM_FILE}` };
}

/** Times text-to-sentence-embedding at batch 1: adapterkit's embed() or transformers.js's pipeline. */
async function textJob(job) {
  const model = MODELS.minilm;
  const finishAt = startResidentMeasure();
  const results = { runtime: job.runtime, texts: [] };

  let embed;
  let countTokens;
  const t0 = performance.now();
  if (job.runtime === 'adapterkit') {
    const { loadBaseModel } = await import('../web/index.js');
    const base = await loadBaseModel(fromRoot(model.folder));
    embed = async (text) => (await base.embed(text, { outputs: ['sentenceEmbedding'] })).sentenceEmbedding.data;
    countTokens = (text) => base.tokenize([text]).sequenceLength;
  } else {
    let sessionOptions = {};
    if (job.runtime === 'transformers-web') {
      // transformers.js uses the onnxruntime object registered under this symbol instead of
      // onnxruntime-node, which is how its Node build can run onnxruntime-web's wasm backend.
      globalThis[Symbol.for('onnxruntime')] = await importOrt();
    } else {
      sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    }
    const { pipeline, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = fromRoot(model.transformersRoot);
    env.useFSCache = false;
    const extractor = await pipeline('feature-extraction', model.transformersId, {
      dtype: 'fp32',
      // With an injected runtime transformers.js lists no devices of its own; 'auto' passes none
      // and onnxruntime-web falls back to its wasm backend.
      ...(job.runtime === 'transformers-web' ? { device: 'auto' } : {}),
      session_options: sessionOptions,
    });
    embed = async (text) => (await extractor(text, { pooling: 'mean', normalize: true })).data;
    countTokens = (text) => extractor.tokenizer(text).input_ids.dims[1];
  }
  const t1 = performance.now();

  await embed(job.texts[0]);
  const t2 = performance.now();
  results.coldStart = { totalMs: t2 - t0, loadMs: t1 - t0, firstCallMs: t2 - t1, note: 'reads the model files from disk' };
  for (const text of job.texts) {
    const timing = await timeRuns(() => embed(text), { warmup: job.warmup, runs: job.runs });
    await saveTensor(job.tensorsDir, `text-${job.runtime}-${countTokens(text)}`, timing.last);
    delete timing.last;
    results.texts.push({ tokens: countTokens(text), ...timing });
  }
  results.process = finishAt();
  return results;
}

function classifierLabels() {
  return ['negative', 'positive'];
}

/** Times a training step against a forward pass on the same adapter and batch, and measures adapter file sizes. */
async function trainingJob(job) {
  const { loadBaseModel } = await import('../web/index.js');
  const { unwrapWasmResult } = await import('../web/errors.js');
  const memory = watchWasmMemory();
  const base = await loadBaseModel(fromRoot(MODELS['bert-base'].folder));
  const module = base._module;
  const batch = base.padBatch(tokenRows(job.batch, job.length, base.config.vocabSize));
  const labels = Int32Array.from({ length: job.batch }, (_, i) => i % 2);
  const adapter = base.createAdapter({ labels: classifierLabels(), seed: 1 });
  const handles = new Int32Array(job.batch).fill(adapter._ensureHandle());
  const forward = await timeRuns(
    () => unwrapWasmResult(module.taskClassify(base._handle, handles, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength)),
    { warmup: job.warmup, runs: job.runs },
  );
  delete forward.last;
  await base.enableTraining();
  const trainer = unwrapWasmResult(
    module.trainerCreate(adapter._ensureHandle(), { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, maxGradNorm: 1.0, recompute: false }),
  );
  const step = await timeRuns(
    () => unwrapWasmResult(module.trainerStep(trainer, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, labels, null, 1e-4)),
    { warmup: job.warmup, runs: job.runs },
  );
  delete step.last;
  module.trainerDelete(trainer);
  adapter.dispose();

  const sizes = [];
  for (const size of job.adapterSizes) {
    for (const layerNorm of [true, false]) {
      const sized = base.createAdapter({ labels: classifierLabels(), size, layerNorm });
      sizes.push({ size, layerNorm, parameters: sized.parameterCount, f16Bytes: sized.toBytes({ dtype: 'f16' }).length, f32Bytes: sized.toBytes({ dtype: 'f32' }).length });
      sized.dispose();
    }
  }
  const result = {
    batch: job.batch,
    length: job.length,
    adapterSize: adapter.config.adapter.size,
    forward,
    step,
    stepPerForward: step.medianMs / forward.medianMs,
    adapterFiles: sizes,
    wasmMemoryBytes: memory.bytes(),
  };
  base.dispose();
  return result;
}

/**
 * Fills the free space of adapterkit's wasm heap with 1 MiB blocks, so that whatever a later call
 * allocates shows up as growth of the WebAssembly.Memory. Returns the blocks and their total size.
 */
function fillFreeHeap(module, memory) {
  const BLOCK = 1 << 20;
  const blocks = [];
  const before = memory.bytes();
  // malloc takes free chunks first and grows the heap only when none is large enough.
  while (memory.bytes() === before) {
    const pointer = module._malloc(BLOCK);
    if (!pointer) break;
    blocks.push(pointer);
  }
  // The block that made the heap grow sits at the old top; the rest of the growth above it is
  // free. Take it too, stopping one block short of the end so that the heap does not grow again.
  const top = blocks.length ? blocks[blocks.length - 1] + BLOCK : memory.bytes();
  const remaining = Math.floor((memory.bytes() - top) / (BLOCK + 64)) - 1;
  for (let i = 0; i < remaining; i++) blocks.push(module._malloc(BLOCK));
  return { blocks, bytes: blocks.length * BLOCK };
}

/**
 * Measures training memory at one batch shape. Step 1 runs as an application would: the wasm memory size
 * after it (memory never shrinks) is the peak. Step 2 runs with a fresh trainer after the heap's
 * free space was filled, so the memory growth it causes is what the step itself allocates.
 */
async function trainingMemoryJob(job) {
  const { loadBaseModel } = await import('../web/index.js');
  const { unwrapWasmResult } = await import('../web/errors.js');
  const memory = watchWasmMemory();
  const base = await loadBaseModel(fromRoot(MODELS['bert-base'].folder));
  const afterLoad = memory.bytes();
  await base.enableTraining();
  const afterEnable = memory.bytes();
  const adapter = base.createAdapter({ labels: classifierLabels(), seed: 1 });
  const module = base._module;
  const batch = base.padBatch(tokenRows(job.batch, job.length, base.config.vocabSize));
  const labels = Int32Array.from({ length: job.batch }, (_, i) => i % 2);
  const step = () => {
    const trainer = unwrapWasmResult(
      module.trainerCreate(adapter._ensureHandle(), { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, maxGradNorm: 1.0, recompute: job.recompute }),
    );
    const start = performance.now();
    unwrapWasmResult(module.trainerStep(trainer, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, labels, null, 1e-4));
    const stepMs = performance.now() - start;
    module.trainerDelete(trainer);
    return stepMs;
  };
  const firstStepMs = step();
  const peak = memory.bytes();
  const filler = fillFreeHeap(module, memory);
  const filled = memory.bytes();
  const secondStepMs = step();
  const stepAllocatedBytes = memory.bytes() - filled;
  for (const pointer of filler.blocks) module._free(pointer);
  const result = {
    batch: job.batch,
    length: job.length,
    recompute: job.recompute,
    firstStepMs,
    secondStepMs,
    wasmMemoryAfterLoadBytes: afterLoad,
    wasmMemoryAfterEnableTrainingBytes: afterEnable,
    wasmMemoryPeakBytes: peak,
    freeHeapFilledBytes: filler.bytes,
    // An upper bound: a growth may overshoot the request by up to 96 MiB (emscripten's
    // emscripten_resize_heap over-allocates by min(20% of the heap, 96 MiB)).
    stepAllocatedBytes,
  };
  base.dispose();
  return result;
}

/** Times task switching, adapter loading and classifyAll on the real MiniLM model. */
async function adaptersJob(job) {
  const { loadBaseModel } = await import('../web/index.js');
  const base = await loadBaseModel(fromRoot(MODELS.minilm.folder));
  const names = ['sentiment', 'topic', 'spam', 'intent'];
  const files = names.map((name, i) => {
    const created = base.createAdapter({ name, labels: classifierLabels(), seed: i + 1, initStd: 0.05 });
    const bytes = created.toBytes({ dtype: 'f16' });
    created.dispose();
    return bytes;
  });
  const adapters = [];
  for (const bytes of files) adapters.push(await base.loadAdapter(bytes));
  const options = { warmup: job.warmup, runs: job.runs };
  const strip = ({ last, ...timing }) => timing;
  const result = { adapterBytes: files[0].length, adapterSize: adapters[0].config.adapter.size, texts: [] };
  for (const text of job.texts) {
    const tokens = base.tokenize([text]).sequenceLength;
    // Interleaved, so that drift over time does not favour either: each round classifies with
    // the adapter used last (same) and then with the other one, already in wasm memory (switch).
    const sameTimes = [];
    const switchTimes = [];
    let current = 0;
    for (let i = 0; i < job.warmup + job.runs; i++) {
      const t0 = performance.now();
      await adapters[current].classify(text);
      const t1 = performance.now();
      current = 1 - current;
      await adapters[current].classify(text);
      const t2 = performance.now();
      if (i >= job.warmup) {
        sameTimes.push(t1 - t0);
        switchTimes.push(t2 - t1);
      }
    }
    const same = summarize(sameTimes);
    const switching = summarize(switchTimes);
    const separate = strip(await timeRuns(async () => {
      for (const adapter of adapters) await adapter.classify(text);
    }, options));
    const together = strip(await timeRuns(() => base.classifyAll(text, adapters), options));
    // First use of an adapter from its file bytes: parse, copy into wasm, create the task.
    const loadTimes = [];
    const firstTimes = [];
    for (let i = 0; i < job.warmup + job.runs; i++) {
      const t0 = performance.now();
      const fresh = await base.loadAdapter(files[i % files.length]);
      const t1 = performance.now();
      await fresh.classify(text);
      const t2 = performance.now();
      fresh.dispose();
      if (i >= job.warmup) {
        loadTimes.push(t1 - t0);
        firstTimes.push(t2 - t0);
      }
    }
    result.texts.push({
      tokens,
      sameAdapter: same,
      alternatingAdapters: switching,
      switchOverheadMs: switching.medianMs - same.medianMs,
      loadFromBytes: summarize(loadTimes),
      loadAndFirstClassify: summarize(firstTimes),
      fourClassifyCalls: separate,
      classifyAllFour: together,
      classifyAllSpeedup: separate.medianMs / together.medianMs,
    });
  }
  base.dispose();
  return result;
}

/**
 * Times adapterkit's XNNPACK fully-connected operator at each GEMM shape of the BERT forward pass,
 * for the derived per-operator profile. Every layer gets its own weights and the GEMMs run in
 * forward order, once per round, because a GEMM repeated on the same weights finds them in the CPU
 * cache: at 16 tokens that made the 48 GEMMs about 30% faster than inside a forward pass.
 */
async function timeGemms(module, { shapes, layers, hidden: H, intermediate: F, warmup, runs }) {
  const { unwrapWasmResult } = await import('../web/errors.js');
  const layerOperators = [
    { name: 'qkv', nIn: H, nOut: 3 * H },
    { name: 'attentionOutput', nIn: H, nOut: H },
    { name: 'feedForwardIn', nIn: H, nOut: F },
    { name: 'feedForwardOut', nIn: F, nOut: H },
  ];
  // The values do not affect the timing; a cheap pattern keeps the setup short.
  const create = (nIn, nOut) => {
    const weight = Float32Array.from({ length: nIn * nOut }, (_, i) => ((i % 251) - 125) * 1e-4);
    const bias = Float32Array.from({ length: nOut }, (_, i) => ((i % 17) - 8) * 1e-3);
    return unwrapWasmResult(module.fullyConnectedCreate(nIn, nOut, weight, bias, false));
  };
  const handles = Array.from({ length: layers }, () => layerOperators.map(({ nIn, nOut }) => create(nIn, nOut)));
  const pooler = create(H, H);
  const timeOnce = (handle, rows) => unwrapWasmResult(module.fullyConnectedTime(handle, rows, 1))[0];
  const results = [];
  for (const [batch, length] of shapes) {
    const rows = batch * length;
    const rounds = { qkv: [], attentionOutput: [], feedForwardIn: [], feedForwardOut: [], pooler: [] };
    for (let round = 0; round < warmup + runs; round++) {
      const sums = { qkv: 0, attentionOutput: 0, feedForwardIn: 0, feedForwardOut: 0 };
      for (const layer of handles) layerOperators.forEach((op, i) => (sums[op.name] += timeOnce(layer[i], rows)));
      const poolerMs = timeOnce(pooler, batch);
      if (round < warmup) continue;
      for (const name of Object.keys(sums)) rounds[name].push(sums[name]);
      rounds.pooler.push(poolerMs);
    }
    const timed = {};
    for (const op of [...layerOperators, { name: 'pooler', nIn: H, nOut: H }]) {
      const opRows = op.name === 'pooler' ? batch : rows;
      const count = op.name === 'pooler' ? 1 : layers;
      const { timesMs, ...summary } = summarize(rounds[op.name]);
      timed[op.name] = { rows: opRows, nIn: op.nIn, nOut: op.nOut, layers: count, ...summary, gflops: (2 * count * opRows * op.nIn * op.nOut) / (summary.medianMs * 1e6) };
    }
    results.push({ batch, length, operators: timed });
  }
  handles.flat().forEach((handle) => module.fullyConnectedDelete(handle));
  module.fullyConnectedDelete(pooler);
  return results;
}

const JOBS = { forward: forwardJob, text: textJob, training: trainingJob, 'training-memory': trainingMemoryJob, adapters: adaptersJob };

const job = JSON.parse(process.argv[2] ?? '{}');
const run = JOBS[job.job];
if (!run) {
  process.stderr.write(`node_child: unknown job ${JSON.stringify(job.job)}; expected one of ${Object.keys(JOBS).join(', ')}\n`);
  process.exit(2);
}
const result = await run(job);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

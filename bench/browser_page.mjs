// The Chromium side of bench/run.mjs: window.runBench(spec) measures one runtime in this page,
// with the same code and inputs as the Node child processes (bench/lib.mjs). The page is served
// from the repository root, so adapterkit's files and onnxruntime-web's dist/ are both reachable.
import { MODELS, benchAdapterkit, benchOrt, watchWasmMemory } from './lib.mjs';

// Installed before either runtime loads, so that it records their WebAssembly.Memory objects.
const memory = watchWasmMemory();
const ORT_DIST = `${location.origin}/node_modules/onnxruntime-web/dist/`;

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Sends an output tensor to the bench server, which compares the runtimes after both ran. */
async function upload(name, data) {
  const response = await fetch(`/bench-upload/${name}`, { method: 'POST', body: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  if (!response.ok) throw new Error(`uploading ${name} failed: HTTP ${response.status}`);
}

/**
 * @param {{ runtime: 'adapterkit'|'ort', model: string, shapes: number[][], warmup: number,
 *   runs: number, upload: boolean, reference: boolean }} spec
 */
window.runBench = async (spec) => {
  const model = MODELS[spec.model];
  const reference = spec.reference ? await (await fetch(`/${model.reference}`)).json() : null;
  const onOutput = spec.upload ? (shape, data) => upload(`${spec.runtime}-${spec.model}-${shape[0]}x${shape[1]}`, data) : undefined;
  const common = { shapes: spec.shapes, warmup: spec.warmup, runs: spec.runs, onOutput, reference, memory };
  // Everything is downloaded and every JS module imported before the clock starts, so the cold
  // start covers compiling and instantiating the .wasm, loading the model and the first forward.
  if (spec.runtime === 'adapterkit') {
    const api = await import('/web/index.js');
    await import('/dist/adapterkit.mjs');
    const { readModelFolder } = await import('/web/base_model.js');
    const wasmBinary = await fetchBytes('/dist/adapterkit.wasm');
    const files = await readModelFolder(`${location.origin}/${model.folder}`, { cache: false });
    return benchAdapterkit({ api, wasmBinary, files, ...common });
  }
  const ort = await import(`${ORT_DIST}ort.wasm.min.mjs`);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = ORT_DIST;
  ort.env.wasm.wasmBinary = await fetchBytes(`${ORT_DIST}ort-wasm-simd-threaded.wasm`);
  await import(`${ORT_DIST}ort-wasm-simd-threaded.mjs`);
  const modelBytes = await fetchBytes(`/${model.onnx}`);
  const result = await benchOrt({ ort, modelBytes, vocabSize: model.vocabSize, ...common });
  return { ...result, crossOriginIsolated: globalThis.crossOriginIsolated === true };
};

document.getElementById('status').textContent = 'ready';
window.benchReady = true;

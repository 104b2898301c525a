// adapterkit's benchmark suite, the `npm run bench` entry. It compares adapterkit with
// onnxruntime-web (wasm execution provider, one thread) on the same weights and token ids, in Node
// and in headless Chromium, and with transformers.js on the real all-MiniLM-L6-v2. It also
// measures adapterkit's training step, training memory, adapter switching and where the forward
// pass spends its time. It prints tables and writes bench/output/results.json and results.md
// (results-partial.* for --quick and --only runs).
//
// Usage: node bench/run.mjs [--quick] [--only SECTIONS] [--write-docs]
//   --quick        fewer shapes and runs, to check that the suite works (a few minutes)
//   --only LIST    comma-separated subset of: export,node,browser,minilm,training,adapters,profile
//   --write-docs   also replace the results part of docs/benchmarks.md with this run's tables
//                  (full runs only)
// Environment: ADAPTERKIT_BENCH_PYTHON, the Python with torch and transformers used for the ONNX
// export (default /work/venv/ref/bin/python); ADAPTERKIT_CHROMIUM, the Chromium binary.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

import { FORWARD_SHAPES, MODELS, maxAbsDifference } from './lib.mjs';
import { writeRandomModel } from './random_model.mjs';

const repoRoot = new URL('..', import.meta.url).pathname;
const fromRoot = (path) => join(repoRoot, path);
const OUTPUT = fromRoot('bench/output');
const TENSORS = join(OUTPUT, 'tensors');
const PYTHON = process.env.ADAPTERKIT_BENCH_PYTHON ?? '/work/venv/ref/bin/python';
const SECTIONS = ['export', 'node', 'browser', 'minilm', 'training', 'adapters', 'profile'];
const DOCS = fromRoot('docs/benchmarks.md');
const DOCS_START = '<!-- results:start -->';
const DOCS_END = '<!-- results:end -->';

// V8 starts wasm functions in its baseline compiler (Liftoff) and recompiles hot ones with
// TurboFan. On onnxruntime-web's 15 MB module that tier-up was still incomplete after 60 runs of
// MiniLM (about 2x slower than TurboFan code), so steady-state latency is measured with
// --no-liftoff for both runtimes, and cold start and the first runs with the default tiering.
const STEADY_FLAGS = ['--no-liftoff'];

function parseArguments(argv) {
  const options = { quick: false, only: new Set(SECTIONS), writeDocs: false };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--quick') options.quick = true;
    else if (argument === '--write-docs') options.writeDocs = true;
    else if (argument === '--only' || argument.startsWith('--only=')) {
      const list = argument === '--only' ? argv[++i] : argument.slice('--only='.length);
      const names = String(list ?? '').split(',').filter(Boolean);
      const unknown = names.filter((name) => !SECTIONS.includes(name));
      if (unknown.length || !names.length) throw new Error(`--only: unknown section(s) ${unknown.join(', ') || '(none)'}; expected some of ${SECTIONS.join(',')}`);
      options.only = new Set(names);
    } else if (argument === '--help' || argument === '-h') {
      process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((line) => line.startsWith('//')).slice(0, 14).map((line) => line.slice(3)).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument '${argument}'; see node bench/run.mjs --help`);
  }
  return options;
}

/**
 * Returns the warm-up and timed run counts. Shapes of at most 128 tokens in all are cheap and get
 * 2 + 7 runs. 8 x 64 and 8 x 128 take seconds per run on BERT-base and get 1 + 5. With these
 * counts full runs took 12-13 minutes on a 2-CPU AMD EPYC VM.
 */
function configure(quick) {
  if (quick) {
    return {
      forwardShapes: [[1, 16, 1, 3], [1, 128, 1, 3], [8, 16, 1, 3]],
      earlyShapes: [[1, 16, 0, 3], [1, 128, 0, 2]],
      minilm: { warmup: 1, runs: 3 },
      training: { batch: 8, length: 32, warmup: 1, runs: 2, adapterSizes: [8, 64] },
      trainingMemory: { batch: 4, length: 64 },
      adapters: { warmup: 1, runs: 3 },
      profile: { warmup: 1, runs: 2 },
    };
  }
  return {
    forwardShapes: FORWARD_SHAPES.map(([batch, length]) => (batch * length <= 128 ? [batch, length, 2, 7] : [batch, length, 1, 5])),
    // Runs right after the cold start, with V8's default tiering.
    earlyShapes: [[1, 16, 0, 5], [1, 128, 0, 3]],
    minilm: { warmup: 3, runs: 10 },
    training: { batch: 32, length: 64, warmup: 1, runs: 2, adapterSizes: [8, 16, 64] },
    trainingMemory: { batch: 16, length: 128 },
    adapters: { warmup: 3, runs: 10 },
    // Rounds of all 48 GEMMs in forward order: about 4 GEMM-only forward passes per shape.
    profile: { warmup: 1, runs: 3 },
  };
}

// ---------------------------------------------------------------------------------------------
// Output: tables on stdout, the same tables in Markdown for results.md and docs/benchmarks.md.

const markdown = [];

function heading(title) {
  process.stdout.write(`\n== ${title} ==\n`);
  markdown.push(`\n### ${title}\n`);
}

function note(text) {
  process.stdout.write(`${text}\n`);
  markdown.push(`${text}\n`);
}

function table(headers, rows) {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  process.stdout.write(`${line(headers)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`);
  markdown.push(`| ${headers.join(' | ')} |\n|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|\n${cells.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n`);
}

function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}
const ratio = (value) => (value === null || value === undefined || !Number.isFinite(value) ? null : value.toFixed(2));
function mb(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return null;
  let decimals = 0;
  if (bytes < 1e7) decimals = 2;
  else if (bytes < 1e8) decimals = 1;
  return (bytes / 1e6).toFixed(decimals);
}
const kb = (bytes) => (bytes === null || bytes === undefined ? null : (bytes / 1e3).toFixed(1));
const spread = (timing) => (timing ? `${ms(timing.minMs)}-${ms(timing.maxMs)}` : null);
const scientific = (value) => (value === null || value === undefined ? null : value.toExponential(1));

// ---------------------------------------------------------------------------------------------
// Child processes and the browser.

/** Runs one job of bench/node_child.mjs in a fresh Node process and returns its result. */
function runChild(job, flags = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, fromRoot('bench/node_child.mjs'), JSON.stringify(job)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)));
      else reject(new Error(`node_child ${job.job}/${job.runtime ?? ''} exited with ${code}: ${stderr.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

function runCommand(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.trim().split('\n').slice(-20).join('\n')}`))));
  });
}

async function readTensor(name, directory = TENSORS) {
  try {
    const bytes = await readFile(join(directory, `${name}.f32`));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  } catch {
    return null;
  }
}

function maxAbs(values) {
  let worst = 0;
  for (const value of values) worst = Math.max(worst, Math.abs(value));
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Sections.

/** Returns the share of CPU time that other processes used over one second, from /proc/stat. */
async function measureCpuBusy() {
  const sample = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
  };
  try {
    const before = sample();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = sample();
    return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
  } catch {
    return null; // not Linux
  }
}

function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpuModel;
  } catch {
    // not Linux: os.cpus() is the fallback
  }
  const packageVersion = (name) => {
    try {
      return JSON.parse(readFileSync(fromRoot(`node_modules/${name}/package.json`), 'utf8')).version;
    } catch {
      return null;
    }
  };
  return {
    cpuModel,
    logicalCpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeWeb: packageVersion('onnxruntime-web'),
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    transformersJs: packageVersion('@huggingface/transformers'),
    playwrightCore: packageVersion('playwright-core'),
  };
}

async function exportSection(state) {
  await writeRandomModel('bert-base', fromRoot(MODELS['bert-base'].folder));
  const jobs = [
    { model: 'bert-base', args: ['--model', MODELS['bert-base'].folder, '--out', MODELS['bert-base'].onnxFolder] },
    { model: 'minilm', args: ['--model', MODELS.minilm.folder, '--out', MODELS.minilm.onnxFolder, '--tokenizer', '--onnx-subfolder'] },
  ];
  const exports = {};
  for (const { model, args } of jobs) {
    const { onnx, reference, onnxFolder, folder } = MODELS[model];
    const cached = existsSync(fromRoot(onnx)) && existsSync(fromRoot(reference)) && (model !== 'minilm' || existsSync(fromRoot(`${onnxFolder}/tokenizer.json`)));
    if (!existsSync(fromRoot(`${folder}/model.safetensors`))) {
      note(`export: ${folder}/model.safetensors is missing (run 'bash tools/setup.sh'), so the ${model} comparisons are skipped`);
      exports[model] = { available: false, reason: 'source model missing' };
      continue;
    }
    if (cached) {
      exports[model] = { available: true, cached: true };
    } else if (!existsSync(PYTHON)) {
      note(
        `export: skipped for ${model}: ${PYTHON} does not exist and ${onnx} is not built. The comparisons with onnxruntime-web ` +
          `and transformers.js need it: set ADAPTERKIT_BENCH_PYTHON to a Python with torch and transformers.`,
      );
      exports[model] = { available: false, reason: 'no Python with torch' };
      continue;
    } else {
      process.stdout.write(`export: writing ${onnx} with ${PYTHON} bench/export_onnx.py\n`);
      const output = await runCommand(PYTHON, [fromRoot('bench/export_onnx.py'), ...args]);
      process.stdout.write(`${output.split('\n').filter((line) => line.startsWith('export_onnx:')).join('\n')}\n`);
      exports[model] = { available: true, cached: false };
    }
    try {
      exports[model].info = JSON.parse(readFileSync(fromRoot(`${onnxFolder}/export_info.json`), 'utf8'));
    } catch {
      exports[model].info = null;
    }
  }
  state.onnx = exports;
  return exports;
}

function onnxReady(state, model) {
  if (state.onnx === undefined) return existsSync(fromRoot(MODELS[model].onnx)) && existsSync(fromRoot(MODELS[model].reference));
  return state.onnx[model]?.available === true;
}

/** Max |adapterkit - ort| of last_hidden_state per shape, from the saved or uploaded tensors. */
async function compareOutputs(shapes, load) {
  const rows = {};
  for (const [batch, length] of shapes) {
    const a = await load(`adapterkit-bert-base-${batch}x${length}`);
    const b = await load(`ort-bert-base-${batch}x${length}`);
    rows[`${batch}x${length}`] = { maxAbsDifference: maxAbsDifference(a, b), maxAbsValue: a ? maxAbs(a) : null };
  }
  return rows;
}

function forwardTable(steady, early, differences) {
  const ort = steady.ort;
  const ak = steady.adapterkit;
  const rows = ak.shapes.map((shape, i) => {
    const other = ort?.shapes[i];
    const difference = differences?.[`${shape.batch}x${shape.length}`];
    return [
      `${shape.batch} x ${shape.length}`,
      ms(other?.medianMs), spread(other),
      ms(shape.medianMs), spread(shape),
      ratio(other ? shape.medianMs / other.medianMs : null),
      ratio(other ? other.medianMs / shape.medianMs : null),
      scientific(difference?.maxAbsDifference),
      `${shape.runs}`,
    ];
  });
  table(['batch x tokens', 'ort ms', 'ort min-max', 'adapterkit ms', 'ak min-max', 'ak/ort time', 'ort/ak speed-up', 'max abs diff', 'runs'], rows);
  if (early) {
    const earlyRows = [];
    for (const [name, result] of [['onnxruntime-web', early.ort], ['adapterkit', early.adapterkit]]) {
      if (!result) continue;
      const c = result.coldStart;
      earlyRows.push([
        name,
        ms(c.totalMs),
        ms(c.instantiateMs ?? null),
        ms(c.loadMs ?? c.sessionCreateMs),
        ms(c.firstForwardMs),
        ...result.shapes.map((s) => ms(s.medianMs)),
      ]);
    }
    table(['default V8 tiering', 'cold start ms', 'instantiate', 'load (ort: session create)', 'first 1x16', ...early.adapterkit.shapes.map((s) => `next ${s.runs} runs ${s.batch}x${s.length}`)], earlyRows);
  }
  const memoryRows = [];
  for (const [name, result] of [['onnxruntime-web', ort], ['adapterkit', ak]]) {
    if (!result) continue;
    memoryRows.push([name, mb(result.wasmMemoryBytes), mb(result.process?.rssPeakDeltaBytes), ratio(result.process?.cpuPerWall), scientific(result.maxDifferenceFromTorch)]);
  }
  table(['runtime', 'wasm memory MB', 'RSS peak - baseline MB', 'CPU/wall', 'max abs diff vs torch'], memoryRows);
}

async function nodeSection(state, config) {
  heading('Node: BERT-base shape (random weights), batch x tokens, one thread');
  await rm(TENSORS, { recursive: true, force: true });
  const withOrt = onnxReady(state, 'bert-base');
  if (!withOrt) note('onnxruntime-web is skipped: the BERT-base ONNX export is missing (see the export step).');
  const steady = {};
  const early = {};
  for (const runtime of withOrt ? ['ort', 'adapterkit'] : ['adapterkit']) {
    process.stdout.write(`node: ${runtime} steady state (${config.forwardShapes.length} shapes)...\n`);
    const profile = runtime === 'adapterkit' ? { layers: 12, hidden: 768, intermediate: 3072, ...config.profile } : undefined;
    steady[runtime] = await runChild({ job: 'forward', runtime, model: 'bert-base', shapes: config.forwardShapes, warmup: 1, runs: 5, tensorsDir: TENSORS, profile }, STEADY_FLAGS);
  }
  for (const runtime of withOrt ? ['ort', 'adapterkit'] : ['adapterkit']) {
    process.stdout.write(`node: ${runtime} cold start...\n`);
    early[runtime] = await runChild({ job: 'forward', runtime, model: 'bert-base', shapes: config.earlyShapes, warmup: 0, runs: 5 });
  }
  const differences = withOrt ? await compareOutputs(config.forwardShapes, (name) => readTensor(name)) : null;
  forwardTable(steady, early, differences);
  return { steady, early, differences };
}

async function browserSection(state, config) {
  heading('Chromium (headless): BERT-base shape (random weights), one thread');
  const { chromium } = await import('playwright-core');
  const { CHROMIUM_PATH } = await import('../wasm_tests/helpers/browser.mjs');
  const { startStaticServer } = await import('../tools/static_server.mjs');
  if (!existsSync(CHROMIUM_PATH)) {
    note(`skipped: Chromium not found at ${CHROMIUM_PATH} (bash tools/setup.sh --browser installs it)`);
    return { skipped: 'no Chromium' };
  }
  const uploads = new Map();
  const server = await startStaticServer({
    root: repoRoot,
    intercept: (request, response) => {
      if (request.method !== 'POST' || !request.url.startsWith('/bench-upload/')) return false;
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const bytes = Buffer.concat(chunks);
        uploads.set(decodeURIComponent(request.url.slice('/bench-upload/'.length)), new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
        response.writeHead(204).end();
      });
      return true;
    },
  });

  const withOrt = onnxReady(state, 'bert-base');
  // The same flags as the browser tests (wasm_tests/helpers/browser.mjs): no background traffic.
  const baseFlags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const result = { steady: {}, early: {}, fetched: {} };

  try {
    for (const mode of ['steady', 'early']) {
      const args = mode === 'steady' ? [...baseFlags, `--js-flags=${STEADY_FLAGS.join(' ')}`] : baseFlags;
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
      result.chromium = browser.version();
      try {
        for (const runtime of withOrt ? ['ort', 'adapterkit'] : ['adapterkit']) {
          process.stdout.write(`browser: ${runtime} ${mode === 'steady' ? 'steady state' : 'cold start'}...\n`);
          const context = await browser.newContext();
          const page = await context.newPage();
          const errors = [];
          page.on('pageerror', (error) => errors.push(error.message));

          const firstRequest = server.requests.length;
          await page.goto(`${server.url}/bench/browser.html`);
          await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
          const spec = mode === 'steady'
            ? { runtime, model: 'bert-base', shapes: config.forwardShapes, warmup: 1, runs: 5, upload: true, reference: true }
            : { runtime, model: 'bert-base', shapes: config.earlyShapes, warmup: 0, runs: 5, upload: false, reference: false };

          try {
            result[mode][runtime] = await page.evaluate((s) => window.runBench(s), spec);
          } catch (error) {
            throw new Error(`${runtime} page failed: ${error.message}\n${errors.join('\n')}`);
          }
          if (mode === 'early') {
            result.fetched[runtime] = server.requests
              .slice(firstRequest)
              .map((r) => r.path)
              .filter((path) => /\.(m?js|wasm)$/.test(path) && !path.startsWith('/bench/') && !path.startsWith('/wasm_tests/'));
          }
          await context.close();
        }
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }

  note(`Chromium ${result.chromium}; the page is served on 127.0.0.1 and imports onnxruntime-web's dist/ort.wasm.min.mjs.`);
  const differences = withOrt ? await compareOutputs(config.forwardShapes, async (name) => uploads.get(name) ?? null) : null;
  forwardTable(result.steady, result.early, differences);
  if (withOrt) note(`onnxruntime-web fetched: ${result.fetched.ort?.join(', ')}; crossOriginIsolated=${result.steady.ort?.crossOriginIsolated}.`);
  return { ...result, differences };
}

/** Sums the files of each runtime as a browser page downloads them, raw and compressed. */
function shippedBytes(fetched) {
  const webFiles = readdirSync(fromRoot('web')).filter((name) => name.endsWith('.js')).map((name) => `web/${name}`);
  const adapterkitFiles = fetched?.adapterkit?.length
    ? fetched.adapterkit.map((path) => path.slice(1))
    : ['dist/adapterkit.wasm', 'dist/adapterkit.mjs', ...webFiles];
  const ortDist = 'node_modules/onnxruntime-web/dist/';
  const ortFiles = fetched?.ort?.length
    ? fetched.ort.map((path) => path.slice(1))
    : [`${ortDist}ort.wasm.min.mjs`, `${ortDist}ort-wasm-simd-threaded.mjs`, `${ortDist}ort-wasm-simd-threaded.wasm`];
  const measure = (files) => {
    const totals = { files: [], wasmBytes: 0, jsBytes: 0, gzipBytes: 0, brotliBytes: 0 };
    for (const file of [...new Set(files)]) {
      const bytes = readFileSync(fromRoot(file));
      const gzip = gzipSync(bytes, { level: 9 }).length;
      const brotli = brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;
      totals.files.push({ file, bytes: bytes.length, gzipBytes: gzip, brotliBytes: brotli });
      if (file.endsWith('.wasm')) totals.wasmBytes += bytes.length;
      else totals.jsBytes += bytes.length;
      totals.gzipBytes += gzip;
      totals.brotliBytes += brotli;
    }
    return totals;
  };
  return { adapterkit: measure(adapterkitFiles), ort: measure(ortFiles), fromBrowserRequests: Boolean(fetched?.adapterkit?.length) };
}

function bytesSection(fetched) {
  heading('Bytes shipped: what a page downloads to run each runtime');
  const shipped = shippedBytes(fetched);
  const rows = [['onnxruntime-web 1 thread (ort.wasm.min.mjs)', shipped.ort], ['adapterkit', shipped.adapterkit]].map(([name, t]) => [
    name, mb(t.wasmBytes), kb(t.jsBytes), mb(t.wasmBytes + t.jsBytes), mb(t.gzipBytes), mb(t.brotliBytes), `${t.files.length}`,
  ]);
  table(['runtime', '.wasm MB', 'JS kB', 'total MB', 'gzip -9 MB', 'brotli -11 MB', 'files'], rows);
  note(
    shipped.fromBrowserRequests
      ? 'Files: the JS and .wasm requests of the Chromium bench page (adapterkit: its unbundled web/ modules, dist/adapterkit.mjs and .wasm). MB = 10^6 bytes.'
      : 'Files: a fixed list (the browser section did not run). MB = 10^6 bytes.',
  );
  return shipped;
}

/** Builds a text that adapterkit's tokenizer turns into exactly `tokens` tokens, [CLS] and [SEP] included. */
async function textOfLength(tokenizer, tokens) {
  const words = (
    'the museum opens at nine and closes late on sunday because many visitors come from the city to see ' +
    'new paintings of ships rivers and old trains while the guide tells short stories about each room'
  ).split(' ');
  const chosen = [];
  for (let i = 0; chosen.length < 4 * tokens; i++) {
    const candidate = [...chosen, words[i % words.length]];
    const length = tokenizer.encode(candidate.join(' ')).inputIds.length;
    if (length === tokens) return candidate.join(' ');
    if (length < tokens) chosen.push(words[i % words.length]);
  }
  throw new Error(`could not build a text of ${tokens} tokens`);
}

async function minilmSection(state, config) {
  heading('all-MiniLM-L6-v2 (real weights), batch 1, one thread');
  if (!existsSync(fromRoot(`${MODELS.minilm.folder}/model.safetensors`))) {
    note(`skipped: ${MODELS.minilm.folder} is missing (bash tools/setup.sh writes it)`);
    return { skipped: 'model missing' };
  }
  const withOnnx = onnxReady(state, 'minilm');
  const shapes = [[1, 16], [1, 128]];
  const steady = {};
  const early = {};
  for (const runtime of withOnnx ? ['ort', 'adapterkit'] : ['adapterkit']) {
    process.stdout.write(`minilm: ${runtime} token ids...\n`);
    steady[runtime] = await runChild({ job: 'forward', runtime, model: 'minilm', shapes, ...config.minilm, tensorsDir: join(TENSORS, 'minilm') }, STEADY_FLAGS);
    early[runtime] = await runChild({ job: 'forward', runtime, model: 'minilm', shapes: config.earlyShapes, warmup: 0, runs: 5 });
  }
  note('From token ids (last_hidden_state and pooler_output):');
  const idRows = shapes.map(([batch, length], i) => {
    const o = steady.ort?.shapes[i];
    const a = steady.adapterkit.shapes[i];
    return [`${batch} x ${length}`, ms(o?.medianMs), spread(o), ms(a.medianMs), spread(a), ratio(o ? a.medianMs / o.medianMs : null), ratio(o ? o.medianMs / a.medianMs : null)];
  });
  table(['batch x tokens', 'ort ms', 'ort min-max', 'adapterkit ms', 'ak min-max', 'ak/ort time', 'ort/ak speed-up'], idRows);
  const coldRows = Object.entries(early).map(([runtime, r]) => [runtime === 'ort' ? 'onnxruntime-web' : runtime, ms(r.coldStart.totalMs), ms(r.coldStart.firstForwardMs), mb(steady[runtime].wasmMemoryBytes), mb(steady[runtime].process.rssPeakDeltaBytes), scientific(steady[runtime].maxDifferenceFromTorch)]);
  table(['runtime', 'cold start ms (default tiering)', 'of which first 1x16', 'wasm memory MB', 'RSS peak - baseline MB', 'max abs diff vs torch'], coldRows);

  // From text to a normalised sentence embedding: tokenizer + encoder + mean pooling.
  const { WordPieceTokenizer } = await import('../web/tokenizer.js');
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(fromRoot(`${MODELS.minilm.folder}/vocab.txt`), 'utf8'));
  const texts = [await textOfLength(tokenizer, 16), await textOfLength(tokenizer, 128)];
  const text = {};
  const textRuntimes = ['adapterkit', ...(withOnnx ? ['transformers-web', 'transformers-node'] : [])];
  for (const runtime of textRuntimes) {
    process.stdout.write(`minilm: ${runtime} text -> sentence embedding...\n`);
    try {
      text[runtime] = await runChild({ job: 'text', runtime, texts, ...config.minilm, tensorsDir: join(TENSORS, 'minilm') }, runtime === 'transformers-node' ? [] : STEADY_FLAGS);
    } catch (error) {
      text[runtime] = { error: error.message };
      note(`${runtime} failed: ${error.message}`);
    }
  }
  note('From text (tokenizer, encoder, mean pooling, L2 normalisation): adapterkit base.embed() against transformers.js feature-extraction on the ONNX export of the same weights:');
  const textRows = [];
  for (const runtime of textRuntimes) {
    const r = text[runtime];
    if (!r || r.error) continue;
    const label = {
      adapterkit: 'adapterkit embed()',
      'transformers-web': 'transformers.js + onnxruntime-web wasm, 1 thread',
      'transformers-node': 'transformers.js + onnxruntime-node (native CPU), 1 thread',
    }[runtime];
    const differences = [];
    for (const t of r.texts) {
      const mine = await readTensor(`text-adapterkit-${t.tokens}`, join(TENSORS, 'minilm'));
      const theirs = await readTensor(`text-${runtime}-${t.tokens}`, join(TENSORS, 'minilm'));
      differences.push(maxAbsDifference(mine, theirs));
    }
    textRows.push([label, ...r.texts.map((t) => `${ms(t.medianMs)} (${spread(t)})`), ratio(r.process.cpuPerWall), scientific(Math.max(...differences.map((d) => d ?? NaN)))]);
  }
  const tokenCounts = text.adapterkit?.texts?.map((t) => t.tokens) ?? [16, 128];
  table(['runtime', ...tokenCounts.map((n) => `${n} tokens ms (min-max)`), 'CPU/wall', 'max abs diff vs adapterkit'], textRows);
  const mismatched = Object.entries(text).filter(([, r]) => r.texts && r.texts.map((t) => t.tokens).join() !== tokenCounts.join());
  if (mismatched.length) note(`warning: token counts differ between tokenizers: ${mismatched.map(([name, r]) => `${name} ${r.texts.map((t) => t.tokens).join('/')}`).join(', ')}`);
  return { steady, early, texts, text };
}

async function trainingSection(config) {
  heading('adapterkit training (BERT-base shape)');
  note('onnxruntime-web has no in-browser training: the 1.31.1 package contains inference builds only and no training API, so these numbers have no onnxruntime-web counterpart.');

  const { batch, length } = config.training;
  process.stdout.write(`training: step vs forward at ${batch} x ${length}...\n`);
  const training = await runChild({ job: 'training', ...config.training }, STEADY_FLAGS);
  table(
    ['batch x tokens', `forward with adapter ms (m=${training.adapterSize})`, 'training step ms', 'step / forward', 'goal'],
    [[`${batch} x ${length}`, `${ms(training.forward.medianMs)} (${spread(training.forward)})`, `${ms(training.step.medianMs)} (${spread(training.step)})`, ratio(training.stepPerForward), '< 3']],
  );
  note(`Medians of ${training.forward.runs} forward and ${training.step.runs} step runs, each after ${config.training.warmup} warm-up; a step is the forward, the backward and the AdamW update of the adapter, its layer norms and the head.`);

  // The two settings run at the same time, one process each, to save minutes. Their memory
  // figures do not depend on that, but their step times do, so the table leaves them out.
  process.stdout.write(`training: wasm memory at ${config.trainingMemory.batch} x ${config.trainingMemory.length}, recompute off and on...\n`);
  const memory = await Promise.all([false, true].map((recompute) => runChild({ job: 'training-memory', ...config.trainingMemory, recompute })));
  table(
    ['recompute', 'after load MB', 'after enableTraining MB', 'peak with the step MB', 'step allocates MB'],
    memory.map((m) => [String(m.recompute), mb(m.wasmMemoryAfterLoadBytes), mb(m.wasmMemoryAfterEnableTrainingBytes), mb(m.wasmMemoryPeakBytes), mb(m.stepAllocatedBytes)]),
  );
  note(
    `Batch ${config.trainingMemory.batch} x ${config.trainingMemory.length} tokens, one fresh process per setting, both at once, default V8 tiering. Sizes are of the WebAssembly.Memory, which never shrinks, so "peak with the step" ` +
      'is the largest size during load, enableTraining and one step. Loading leaves freed space in the heap that the step reuses first, so the peak grows only when the step needs more. ' +
      '"Step allocates" is the growth caused by a second step, run with a new trainer after that free space was filled (an upper bound: a growth can overshoot by up to 96 MiB). ' +
      'The step times of these processes are in results.json but not shown, because the two shared the CPU.',
  );

  heading('Adapter file sizes (BERT-base shape, 2 labels)');
  table(
    ['bottleneck m', 'per-task layer norms', 'parameters', 'f16 file kB', 'f32 file kB'],
    training.adapterFiles.map((a) => [String(a.size), a.layerNorm ? 'yes' : 'no', String(a.parameters), kb(a.f16Bytes), kb(a.f32Bytes)]),
  );
  return { training, memory };
}

async function adaptersSection(config) {
  heading('Task switching and classifyAll (all-MiniLM-L6-v2, 4 adapters)');
  if (!existsSync(fromRoot(`${MODELS.minilm.folder}/model.safetensors`))) {
    note('skipped: MiniLM model missing');
    return { skipped: 'model missing' };
  }
  const { WordPieceTokenizer } = await import('../web/tokenizer.js');
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(fromRoot(`${MODELS.minilm.folder}/vocab.txt`), 'utf8'));
  const texts = [await textOfLength(tokenizer, 16), await textOfLength(tokenizer, 128)];
  const result = await runChild({ job: 'adapters', texts, ...config.adapters }, STEADY_FLAGS);
  table(
    ['tokens', 'classify, same adapter ms', 'classify, other adapter each call ms', 'switch overhead ms', 'loadAdapter(bytes) ms', 'load + first classify ms', '4 x classify ms', 'classifyAll(4) ms', 'classifyAll speed-up'],
    result.texts.map((t) => [
      String(t.tokens), ms(t.sameAdapter.medianMs), ms(t.alternatingAdapters.medianMs), ms(t.switchOverheadMs), ms(t.loadFromBytes.medianMs),
      ms(t.loadAndFirstClassify.medianMs), ms(t.fourClassifyCalls.medianMs), ms(t.classifyAllFour.medianMs), ratio(t.classifyAllSpeedup),
    ]),
  );
  note(
    `Medians of ${config.adapters.runs} runs. Adapters: m=${result.adapterSize}, all layers, f16 files of ${kb(result.adapterBytes)} kB, loaded with base.loadAdapter(bytes). ` +
      'The switch overhead is the difference of two medians, so a value within a few percent of the classify time, negative ones included, is noise.',
  );
  return result;
}

async function profileSection(config, nodeResult) {
  heading('Where adapterkit\'s forward time goes (BERT-base shape, Node)');
  let steady = nodeResult?.steady?.adapterkit;
  if (!steady?.gemms) {
    process.stdout.write('profile: timing the adapterkit forward and its GEMMs (the node section did not run)...\n');
    const profile = { layers: 12, hidden: 768, intermediate: 3072, ...config.profile };
    steady = await runChild({ job: 'forward', runtime: 'adapterkit', model: 'bert-base', shapes: config.forwardShapes, warmup: 1, runs: 5, profile }, STEADY_FLAGS);
  }
  const rows = steady.gemms.map((shape) => {
    const o = shape.operators;
    const gemm = o.qkv.medianMs + o.attentionOutput.medianMs + o.feedForwardIn.medianMs + o.feedForwardOut.medianMs + o.pooler.medianMs;
    const total = steady.shapes.find((f) => f.batch === shape.batch && f.length === shape.length)?.medianMs ?? null;
    const share = (value) => (total ? `${((100 * value) / total).toFixed(0)}%` : null);
    return [
      `${shape.batch} x ${shape.length}`,
      ms(o.qkv.medianMs), ms(o.attentionOutput.medianMs), ms(o.feedForwardIn.medianMs), ms(o.feedForwardOut.medianMs),
      ms(gemm), share(gemm), ms(total), total ? ms(total - gemm) : null, total ? share(total - gemm) : null,
      o.feedForwardIn.gflops.toFixed(1),
    ];
  });
  table(['batch x tokens', 'QKV GEMMs', 'attn out', 'FFN in', 'FFN out', 'all GEMMs ms', 'GEMM share', 'forward ms', 'rest ms', 'rest share', 'FFN-in GFLOP/s'], rows);
  note(
    'Derived, not instrumented. The 48 GEMMs of the 12 layers are timed through the module\'s fullyConnectedTime at their exact shapes, each layer with its own weights, ' +
      'in forward order, in the process that timed the forward and right after it. The columns are sums over the 12 layers, and "all GEMMs" includes the pooler. ' +
      '"Rest" is the forward minus the GEMMs: attention scores, softmax and context (per sequence), layer norms, GELU, embeddings and copies. ' +
      'It carries the noise of both measurements, a few percent of the forward, so a small negative value means that the rest is within that noise.',
  );
  return { gemms: steady.gemms };
}

/** Compares this run with the project's performance goals. */
function goalsSection(results) {
  heading('Goals');
  const rows = [];
  const speedup = (environment, batch, length) => {
    const steady = results.sections[environment]?.steady;
    const ak = steady?.adapterkit?.shapes?.find((s) => s.batch === batch && s.length === length);
    const ort = steady?.ort?.shapes?.find((s) => s.batch === batch && s.length === length);
    return ak && ort ? ort.medianMs / ak.medianMs : null;
  };
  const verdict = (value, goal) => (value === null ? 'not measured' : goal(value) ? 'met' : 'not met');
  for (const environment of ['node', 'browser']) {
    const name = environment === 'node' ? 'Node' : 'Chromium';
    for (const [batch, length] of [[1, 128], [8, 128]]) {
      const value = speedup(environment, batch, length);
      rows.push([`${name}: ort time / adapterkit time, BERT-base ${batch} x ${length}`, '>= 1.3', ratio(value), verdict(value, (v) => v >= 1.3)]);
    }
    const short = speedup(environment, 1, 16);
    rows.push([`${name}: ort time / adapterkit time, BERT-base 1 x 16`, '> 1', ratio(short), verdict(short, (v) => v > 1)]);
  }
  const shipped = results.sections.bytes;
  if (shipped) {
    rows.push(['adapterkit .wasm', '< 3 MB', `${mb(shipped.adapterkit.wasmBytes)} MB`, verdict(shipped.adapterkit.wasmBytes, (v) => v < 3e6)]);
    rows.push(['onnxruntime-web .wasm (for comparison)', '~13 MB', `${mb(shipped.ort.wasmBytes)} MB`, '-']);
  }
  const step = results.sections.training?.training?.stepPerForward ?? null;
  rows.push(['training step / forward pass, BERT-base 32 x 64', '< 3', ratio(step), verdict(step, (v) => v < 3)]);
  table(['goal', 'target', 'this run', 'verdict'], rows);
  return rows.map(([goal, target, value, verdictText]) => ({ goal, target, value, verdict: verdictText }));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const partial = options.quick || options.only.size < SECTIONS.length;
  if (options.writeDocs && partial) throw new Error('--write-docs needs a full run: drop --quick and --only, so that docs/benchmarks.md gets every table');
  // A partial run writes results-partial.*, so that it does not replace a full run's results.
  const outputStem = partial ? 'results-partial' : 'results';
  const config = configure(options.quick);
  await mkdir(OUTPUT, { recursive: true });
  const started = Date.now();
  const machine = machineInfo();
  const loadAtStart = os.loadavg();
  const results = { startedAt: new Date(started).toISOString(), command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), quick: options.quick, machine, loadAtStart, config, sections: {}, errors: {} };
  // The load average lags by minutes, so a one-second CPU sample decides whether other work runs.
  const cpuBusyAtStart = await measureCpuBusy();
  results.cpuBusyAtStart = cpuBusyAtStart;
  const busy = cpuBusyAtStart === null ? loadAtStart[0] / machine.logicalCpus > 0.3 : cpuBusyAtStart > 0.1;
  heading('Machine');
  table(['what', 'value'], [
    ['CPU', machine.cpuModel],
    ['logical CPUs', String(machine.logicalCpus)],
    ['memory', `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ['load average (1, 5, 15 min) at start', loadAtStart.map((v) => v.toFixed(2)).join(', ')],
    ['CPU busy at start (1 s sample)', cpuBusyAtStart === null ? 'unknown' : `${(100 * cpuBusyAtStart).toFixed(0)}%`],
    ['Node', machine.node],
    ['onnxruntime-web', machine.onnxruntimeWeb],
    ['@huggingface/transformers', machine.transformersJs],
  ]);
  if (busy) note(`warning: other work kept the CPUs ${cpuBusyAtStart === null ? `at load ${loadAtStart[0].toFixed(1)}` : `${(100 * cpuBusyAtStart).toFixed(0)}% busy`} at the start, so times may be inflated and noisy.`);
  if (options.quick) note('--quick: reduced shapes and runs; use the full run for numbers.');

  const state = {};
  results.sectionSeconds = {};
  const section = async (name, run) => {
    if (!options.only.has(name)) return;
    const sectionStart = Date.now();
    try {
      results.sections[name] = await run();
    } catch (error) {
      results.errors[name] = error.stack ?? String(error);
      process.stdout.write(`\nsection ${name} failed: ${error.stack ?? error}\n`);
      markdown.push(`\nSection ${name} failed: ${String(error.message ?? error).split('\n')[0]}\n`);
    }
    results.sectionSeconds[name] = (Date.now() - sectionStart) / 1000;
    await writeFile(join(OUTPUT, `${outputStem}.json`), JSON.stringify(results, null, 1));
  };
  await section('export', () => exportSection(state));
  await section('node', () => nodeSection(state, config));
  await section('browser', () => browserSection(state, config));
  if (options.only.has('node') || options.only.has('browser')) {
    results.sections.bytes = bytesSection(results.sections.browser?.fetched);
  }
  await section('minilm', () => minilmSection(state, config));
  await section('training', () => trainingSection(config));
  await section('adapters', () => adaptersSection(config));
  await section('profile', () => profileSection(config, results.sections.node));

  if (options.only.has('node') || options.only.has('browser') || options.only.has('training')) results.goals = goalsSection(results);

  results.loadAtEnd = os.loadavg();
  results.wallSeconds = (Date.now() - started) / 1000;
  heading('Run');
  note(
    `wall time ${results.wallSeconds.toFixed(0)} s (${Object.entries(results.sectionSeconds).map(([name, seconds]) => `${name} ${seconds.toFixed(0)} s`).join(', ')}); ` +
      `load average at end ${results.loadAtEnd.map((v) => v.toFixed(2)).join(', ')}`,
  );
  await writeFile(join(OUTPUT, `${outputStem}.json`), JSON.stringify(results, null, 1));
  const header = [
    `Run of ${results.startedAt}: \`${results.command}\`${options.quick ? ' (--quick: reduced shapes and runs)' : ''}, ${results.wallSeconds.toFixed(0)} s.`,
    `Machine: ${machine.cpuModel}, ${machine.logicalCpus} logical CPUs, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB; ${machine.platform}; Node ${machine.node}.`,
    `CPU busy with other work at start (1 s sample): ${cpuBusyAtStart === null ? 'unknown' : `${(100 * cpuBusyAtStart).toFixed(0)}%`}. ` +
      `Load average at start ${loadAtStart.map((v) => v.toFixed(2)).join(', ')}, at end ${results.loadAtEnd.map((v) => v.toFixed(2)).join(', ')}` +
      (busy ? '. **Other work was running when the run started, so these times may be inflated and noisy.**' : '. The benchmark itself keeps one CPU busy, two while the training-memory processes run.'),
    `Versions: onnxruntime-web ${machine.onnxruntimeWeb}, @huggingface/transformers ${machine.transformersJs} (onnxruntime-node ${machine.onnxruntimeNode}), Chromium ${results.sections.browser?.chromium ?? 'not run'}, ` +
      `ONNX export with torch ${state.onnx?.['bert-base']?.info?.torch ?? '?'} / transformers ${state.onnx?.['bert-base']?.info?.transformers ?? '?'} (opset ${state.onnx?.['bert-base']?.info?.opset ?? '?'}).`,
  ].join('\n');
  const body = `${header}\n${markdown.join('\n')}`;
  await writeFile(join(OUTPUT, `${outputStem}.md`), body);
  if (options.writeDocs) {
    const docs = readFileSync(DOCS, 'utf8');
    const start = docs.indexOf(DOCS_START);
    const end = docs.indexOf(DOCS_END);
    if (start < 0 || end < start) throw new Error(`${DOCS} has no ${DOCS_START} ... ${DOCS_END} block to replace`);
    await writeFile(DOCS, `${docs.slice(0, start + DOCS_START.length)}\n${body}\n${docs.slice(end)}`);
    process.stdout.write(`wrote the results into ${DOCS}\n`);
  }
  process.stdout.write(`\nwrote bench/output/${outputStem}.json and bench/output/${outputStem}.md\n`);
  if (Object.keys(results.errors).length) {
    process.stdout.write(`failed sections: ${Object.keys(results.errors).join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();

// Trains the demo adapters (one per dataset in ../shared/datasets) on the default base model
// with adapterkit's own training code under Node, the code path the browser runs, and writes
// demo/adapters/<task>.safetensors plus demo/adapters/results.json (test accuracy, sizes, the
// recipe). Also re-evaluates committed adapters: node tools/demo_adapters.mjs --evaluate
//
// Usage (from the repository root, after 'npm run build'):
//   node tools/demo_adapters.mjs [--tasks sst2,trec6] [--datasets ../shared/datasets]
//   node tools/demo_adapters.mjs --evaluate
//   node tools/demo_adapters.mjs --export-splits build/splits   (the samples, as JSON)
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

import Papa from 'papaparse';

import { loadBaseModel } from '../web/base_model.js';

export const TASKS = {
  sst2: { title: 'Sentiment (SST-2)', validation: 'dev.csv' },
  trec6: { title: 'Question type (TREC-6)', validation: null },
  emotion: { title: 'Emotion', validation: 'dev.csv' },
  sms_spam: { title: 'SMS spam', validation: null },
  ag_news: { title: 'News topic (AG News)', validation: null },
};

// The recipe: the same for every task and for the Python references in docs/paper-table.md.
export const RECIPE = {
  base: 'all-MiniLM-L6-v2 (F16 file, f32 compute)',
  adapter: { size: 24, nonLinearity: 'swish', layers: 'all', layerNorm: true, headInput: 'mean', headNormalize: true, headLayers: 1 },
  training: { epochs: 3, batchSize: 32, learningRate: 3e-3, warmupRatio: 0.1, weightDecay: 0.01, maxGradNorm: 1.0, seed: 0, maxLength: 128 },
  maxTrainExamples: 2000,
  maxValidationExamples: 500,
  sampleSeed: 1234,
};

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};

export async function readCsv(path) {
  const text = await readFile(path, 'utf8');
  const parsed = Papa.parse(text, { header: true, skipEmptyLines: true });
  if (parsed.errors.length) throw new Error(`${path}: CSV error at row ${parsed.errors[0].row}: ${parsed.errors[0].message}`);
  return parsed.data.map((row) => ({ text: row.text, label: String(row.label).trim() }));
}

/** Returns up to n rows chosen with a seeded shuffle, so every script takes the same sample. */
export function sample(rows, n, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...rows];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/** Returns {train, validation, test} for a task, with the recipe's sample sizes. */
export async function loadSplits(datasets, task) {
  const folder = `${datasets}/${task}`;
  let train = await readCsv(`${folder}/train.csv`);
  const test = await readCsv(`${folder}/test.csv`);
  let validation;
  if (TASKS[task].validation) {
    validation = await readCsv(`${folder}/${TASKS[task].validation}`);
  } else {
    // No dev split: hold out the last rows of a seeded shuffle of train.
    const shuffled = sample(train, train.length, RECIPE.sampleSeed + 1);
    validation = shuffled.slice(0, Math.min(RECIPE.maxValidationExamples, Math.floor(shuffled.length * 0.1)));
    train = shuffled.slice(validation.length);
  }
  return {
    train: sample(train, RECIPE.maxTrainExamples, RECIPE.sampleSeed),
    validation: sample(validation, RECIPE.maxValidationExamples, RECIPE.sampleSeed),
    test,
  };
}

async function main() {
  const datasets = option('--datasets', new URL('../../shared/datasets', import.meta.url).pathname);
  const tasks = option('--tasks', Object.keys(TASKS).join(',')).split(',');
  const outputFolder = new URL('../demo/adapters/', import.meta.url);
  await mkdir(outputFolder, { recursive: true });
  const base = option('--export-splits', null) ? null : await loadBaseModel(new URL('../build/models/all-MiniLM-L6-v2/f16', import.meta.url).pathname);
  const resultsPath = new URL('results.json', outputFolder);
  const results = JSON.parse(await readFile(resultsPath, 'utf8').catch(() => '{"tasks": {}}'));
  results.recipe = RECIPE;
  if (base) results.base = { fingerprint: base.fingerprint, parameterCount: base.parameterCount, weightsBytes: base.weightsByteLength };

  const exportFolder = option('--export-splits', null);
  for (const task of tasks) {
    const splits = await loadSplits(datasets, task);
    if (exportFolder) {
      // The exact samples, for the Python reference scripts (tools/reference/paper_table.py).
      await mkdir(exportFolder, { recursive: true });
      await writeFile(`${exportFolder}/${task}.json`, JSON.stringify({ task, recipe: RECIPE, labels: [...new Set([...splits.train, ...splits.test].map((r) => r.label))].sort(), ...splits }));
      process.stdout.write(`${task}: ${splits.train.length} train, ${splits.validation.length} validation, ${splits.test.length} test -> ${exportFolder}/${task}.json\n`);
      continue;
    }
    const labels = [...new Set([...splits.train, ...splits.test].map((r) => r.label))].sort();
    if (option('--evaluate', null) !== null || process.argv.includes('--evaluate')) {
      const bytes = new Uint8Array(await readFile(new URL(`${task}.safetensors`, outputFolder)));
      const adapter = await base.loadAdapter(bytes, { fileName: `${task}.safetensors` });
      const started = performance.now();
      const scores = await adapter.evaluate(splits.test, { batchSize: 64, maxLength: RECIPE.training.maxLength });
      process.stdout.write(`${task.padEnd(9)} test accuracy ${(scores.accuracy * 100).toFixed(2)}% (${scores.count} rows, macro-F1 ${(scores.macroF1 * 100).toFixed(2)}), file ${bytes.length} bytes, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
      continue;
    }
    const adapter = base.createAdapter({ name: task, labels, ...RECIPE.adapter });
    const started = performance.now();
    const report = await adapter.train(splits.train, {
      ...RECIPE.training,
      validation: splits.validation,
      onProgress: (event) => {
        if (event.type === 'epoch') process.stdout.write(`${task}: epoch ${event.epoch} train loss ${event.trainLoss.toFixed(4)} validation accuracy ${(event.validationAccuracy * 100).toFixed(2)}% (${event.examplesPerSecond.toFixed(1)} examples/s)\n`);
      },
    });
    const scores = await adapter.evaluate(splits.test, { batchSize: 64, maxLength: RECIPE.training.maxLength });
    adapter.config.title = TASKS[task].title;
    adapter.config.training = { recipe: RECIPE, trainExamples: splits.train.length, validationExamples: splits.validation.length, bestEpoch: report.bestEpoch, testAccuracy: scores.accuracy, testRows: scores.count };
    const bytes = adapter.toBytes({ dtype: 'f16' });
    await writeFile(new URL(`${task}.safetensors`, outputFolder), bytes);
    // Re-read before writing: several runs may train different tasks at the same time.
    const latest = JSON.parse(await readFile(resultsPath, 'utf8').catch(() => '{"tasks": {}}'));
    results.tasks = { ...latest.tasks, ...results.tasks };
    results.tasks[task] = {
      title: TASKS[task].title,
      labels,
      testAccuracy: scores.accuracy,
      testMacroF1: scores.macroF1,
      testRows: scores.count,
      validationAccuracy: report.bestValidationAccuracy,
      bestEpoch: report.bestEpoch,
      trainExamples: splits.train.length,
      fileBytes: bytes.length,
      trainedParameters: adapter.parameterCount,
      trainedShareOfBase: adapter.parameterCount / base.parameterCount,
      trainingSeconds: (performance.now() - started) / 1000,
      examplesPerSecond: report.examplesPerSecond,
      machine: `Node ${process.version}, wasm SIMD, 1 thread`,
    };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(`${task}: test accuracy ${(scores.accuracy * 100).toFixed(2)}%, ${bytes.length} bytes, ${adapter.parameterCount} trained parameters\n`);
    adapter.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

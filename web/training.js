// Adapter training: data checks, shuffling, mini-batches, the learning-rate schedule, held-out
// evaluation, early stopping and cancellation. Each optimisation step runs in wasm
// (src/training.cpp); this file drives the loop.

import { AdapterkitError, ErrorCode, unwrapWasmResult } from './errors.js';
import { log } from './log.js';

/** Returns a seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(items, random) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function invalidData(message) {
  return new AdapterkitError(ErrorCode.INVALID_ARGUMENT, message);
}

/**
 * Checks labelled examples against an adapter's label names and converts them to
 * {text, pair, label (index)}. Accepts {text, label, pair?} objects or [text, label] arrays.
 * @param {Array} examples
 * @param {string[]} labels the adapter's label names
 * @param {string} what "training data" or "validation data", for messages
 * @returns {{text: string, pair: string|null, label: number}[]}
 * @throws {AdapterkitError} INVALID_ARGUMENT naming the row, the value seen and the labels
 */
export function normalizeExamples(examples, labels, what = 'training data') {
  if (!Array.isArray(examples)) throw invalidData(`${what} must be an array of {text, label} objects, got ${typeof examples}`);
  const index = new Map(labels.map((label, i) => [label, i]));
  return examples.map((example, row) => {
    const text = Array.isArray(example) ? example[0] : example?.text;
    const label = Array.isArray(example) ? example[1] : example?.label;
    const pair = Array.isArray(example) ? (example[2] ?? null) : (example?.pair ?? null);
    if (typeof text !== 'string') throw invalidData(`${what} row ${row}: text must be a string, got ${text === null ? 'null' : typeof text}`);
    if (text.trim() === '') throw invalidData(`${what} row ${row}: text is empty`);
    if (pair !== null && typeof pair !== 'string') throw invalidData(`${what} row ${row}: pair must be a string or absent, got ${typeof pair}`);
    if (typeof label === 'number') {
      throw invalidData(`${what} row ${row}: label is the number ${label}, but this adapter's labels are names (${labels.join(', ')}); give the label name`);
    }
    if (typeof label !== 'string' || !index.has(label)) {
      throw invalidData(`${what} row ${row}: unknown label ${JSON.stringify(label)}; expected one of ${labels.map((l) => JSON.stringify(l)).join(', ')}`);
    }
    return { text, pair, label: index.get(label) };
  });
}

/** Computes accuracy, per-class precision/recall/F1 and the confusion matrix. */
export function scorePredictions(labels, truth, predicted) {
  const C = labels.length;
  const confusion = Array.from({ length: C }, () => new Array(C).fill(0));
  truth.forEach((t, i) => confusion[t][predicted[i]]++);
  const perClass = {};
  let correct = 0;
  let f1Sum = 0;
  labels.forEach((label, c) => {
    const tp = confusion[c][c];
    correct += tp;
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedCount ? tp / predictedCount : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    f1Sum += f1;
    perClass[label] = { precision, recall, f1, support };
  });
  return { accuracy: truth.length ? correct / truth.length : 0, macroF1: f1Sum / C, perClass, confusionMatrix: confusion, labels: [...labels], count: truth.length };
}

/**
 * Evaluates an adapter on labelled examples.
 * @returns {Promise<{accuracy: number, macroF1: number, perClass: object, confusionMatrix: number[][], labels: string[], count: number}>}
 */
export async function evaluateAdapter(adapter, examples, options = {}) {
  const rows = normalizeExamples(examples, adapter.labels, options.what ?? 'evaluation data');
  const predicted = [];
  const batchSize = options.batchSize ?? 32;
  for (let start = 0; start < rows.length; start += batchSize) {
    const chunk = rows.slice(start, start + batchSize);
    const hasPairs = chunk.some((r) => r.pair !== null);
    const results = await adapter.classify(chunk.map((r) => r.text), { pairs: hasPairs ? chunk.map((r) => r.pair ?? '') : null, maxLength: options.maxLength });
    for (const r of results) predicted.push(adapter.labels.indexOf(r.label));
  }
  return scorePredictions(adapter.labels, rows.map((r) => r.label), predicted);
}

export const TRAINING_DEFAULTS = Object.freeze({
  epochs: 3,
  batchSize: 16,
  learningRate: 1e-3,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  maxGradNorm: 1.0,
  seed: 0,
  validation: 0.1,
  earlyStoppingPatience: null,
  classWeights: null,
  maxLength: 128,
  recompute: false,
});

/**
 * Trains an adapter in the calling thread. See Adapter.train for the options.
 * @returns {Promise<TrainingReport>}
 */
export async function trainInThisThread(adapter, examples, options = {}) {
  const known = [...Object.keys(TRAINING_DEFAULTS), 'onProgress', 'signal', 'worker'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalidData(`train has no option '${key}'; the options are ${known.join(', ')}`);
  }
  const o = { ...TRAINING_DEFAULTS, ...options };
  for (const [key, min] of [['epochs', 1], ['batchSize', 1]]) {
    if (!Number.isInteger(o[key]) || o[key] < min) throw invalidData(`${key} must be an integer >= ${min}, got ${o[key]}`);
  }
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw invalidData(`learningRate must be a positive number, got ${o.learningRate}`);
  const base = adapter.base;
  const labels = adapter.labels;

  // data: checks, held-out split, class weights
  let train = normalizeExamples(examples, labels, 'training data');
  let validation = [];
  if (Array.isArray(o.validation)) {
    validation = normalizeExamples(o.validation, labels, 'validation data');
  } else if (typeof o.validation === 'number' && o.validation > 0) {
    if (!(o.validation < 1)) throw invalidData(`validation must be a fraction in [0, 1) or an array of examples, got ${o.validation}`);
    const shuffled = shuffleInPlace([...train], seededRandom(o.seed ^ 0x5bd1e995));
    const held = Math.floor(shuffled.length * o.validation);
    validation = shuffled.slice(0, held);
    train = shuffled.slice(held);
  }
  const present = new Set(train.map((r) => r.label));
  if (present.size < 2) {
    throw invalidData(`training data has ${present.size} class${present.size === 1 ? ` (${labels[[...present][0]]})` : 'es'}; at least two different labels are needed`);
  }
  if (train.length < o.batchSize) {
    throw invalidData(`training data has ${train.length} examples${validation.length ? ` after holding out ${validation.length} for validation` : ''}, fewer than one batch of ${o.batchSize}; lower batchSize or add examples`);
  }
  let classWeights = null;
  if (o.classWeights === 'balanced') {
    const counts = new Array(labels.length).fill(0);
    for (const r of train) counts[r.label]++;
    classWeights = Float32Array.from(counts, (n) => (n ? train.length / (labels.length * n) : 0));
  } else if (o.classWeights && typeof o.classWeights === 'object') {
    classWeights = Float32Array.from(labels, (label) => {
      const w = o.classWeights[label] ?? 1;
      if (!(w >= 0)) throw invalidData(`classWeights.${label} must be a number >= 0, got ${w}`);
      return w;
    });
  } else if (o.classWeights !== null) {
    throw invalidData(`classWeights must be null, 'balanced' or an object of label -> weight, got ${JSON.stringify(o.classWeights)}`);
  }

  await base.enableTraining();
  const module = base._module;
  const trainer = unwrapWasmResult(
    module.trainerCreate(adapter._ensureHandle(), {
      weightDecay: o.weightDecay, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, maxGradNorm: o.maxGradNorm, recompute: Boolean(o.recompute),
    }),
  );
  const stepsPerEpoch = Math.ceil(train.length / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const warmupSteps = Math.floor(totalSteps * o.warmupRatio);
  // Linear warm-up to learningRate, then linear decay to zero at the last step.
  const rateAt = (step) =>
    step < warmupSteps ? (o.learningRate * (step + 1)) / warmupSteps : (o.learningRate * Math.max(0, totalSteps - step)) / Math.max(1, totalSteps - warmupSteps);

  const random = seededRandom(o.seed);
  const history = [];
  let best = null; // {accuracy, epoch, bytes}
  let stopped = 'completed';
  let step = 0;
  let epochsWithoutGain = 0;
  const started = performance.now();
  let examplesSeen = 0;
  let lastGood = adapter.toBytes({ dtype: 'f32' });
  try {
    for (let epoch = 0; epoch < o.epochs && stopped === 'completed'; epoch++) {
      const order = shuffleInPlace([...train], random);
      let epochLoss = 0;
      for (let start = 0; start < order.length; start += o.batchSize) {
        if (o.signal?.aborted) {
          stopped = 'cancelled';
          break;
        }
        const rows = order.slice(start, start + o.batchSize);
        const hasPairs = rows.some((r) => r.pair !== null);
        const batch = base.tokenize(rows.map((r) => r.text), hasPairs ? rows.map((r) => r.pair ?? '') : null, { maxLength: o.maxLength });
        const lr = rateAt(step);
        const result = unwrapWasmResult(
          module.trainerStep(trainer, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, Int32Array.from(rows, (r) => r.label), classWeights, lr),
        );
        step++;
        examplesSeen += rows.length;
        epochLoss += result.loss * rows.length;
        const seconds = (performance.now() - started) / 1000;
        o.onProgress?.({ type: 'step', step, totalSteps, epoch: epoch + 1, epochs: o.epochs, loss: result.loss, learningRate: lr, gradNorm: result.gradNorm, examplesPerSecond: examplesSeen / seconds });
        // Let the event loop run between steps, so cancellation and the page stay responsive.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (stopped === 'cancelled') break;
      lastGood = adapter.toBytes({ dtype: 'f32' });
      const entry = { epoch: epoch + 1, step, trainLoss: epochLoss / order.length };
      if (validation.length) {
        const scores = await evaluateAdapter(adapter, validation.map((r) => ({ text: r.text, pair: r.pair ?? undefined, label: labels[r.label] })), { maxLength: o.maxLength, what: 'validation data' });
        entry.validationAccuracy = scores.accuracy;
        entry.validationMacroF1 = scores.macroF1;
        if (!best || scores.accuracy > best.accuracy) {
          best = { accuracy: scores.accuracy, epoch: epoch + 1, bytes: lastGood };
          epochsWithoutGain = 0;
        } else {
          epochsWithoutGain++;
        }
      }
      history.push(entry);
      o.onProgress?.({ type: 'epoch', ...entry, epochs: o.epochs, examplesPerSecond: examplesSeen / ((performance.now() - started) / 1000) });
      if (o.earlyStoppingPatience !== null && validation.length && epochsWithoutGain >= o.earlyStoppingPatience) stopped = 'early-stopping';
    }
  } finally {
    module.trainerDelete(trainer);
  }

  // Keep the best adapter on the held-out data, else the last completed epoch (or, when
  // cancelled in the first epoch, the adapter as it is after its last completed step).
  const keep = best?.bytes ?? (stopped === 'cancelled' && history.length ? lastGood : null);
  if (keep) adapter._replaceParameters(keep);
  const seconds = (performance.now() - started) / 1000;
  const report = {
    stopped,
    epochs: history.length,
    steps: step,
    history,
    bestEpoch: best?.epoch ?? null,
    bestValidationAccuracy: best?.accuracy ?? null,
    trainExamples: train.length,
    validationExamples: validation.length,
    examplesPerSecond: examplesSeen / Math.max(seconds, 1e-9),
    seconds,
  };
  log.info(`adapter '${adapter.name}' trained: ${report.steps} steps, ${report.epochs} epochs, stopped: ${stopped}${best ? `, best validation accuracy ${best.accuracy.toFixed(4)} at epoch ${best.epoch}` : ''}`);
  return report;
}

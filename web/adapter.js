// Task adapters: bottleneck adapters, per-task layer norms and a classification head on top of
// a shared base model.

import { AdapterkitError, ErrorCode, unwrapWasmResult } from './errors.js';
import { readSafetensorsHeader, writeSafetensors } from './safetensors.js';

export const ADAPTER_FORMAT = 'adapterkit-adapter';
export const ADAPTER_FORMAT_VERSION = 1;

/** Returns probabilities from logits with the maximum subtracted first. */
export function softmax(logits) {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Builds a classification result from one row of logits. */
export function toPrediction(labels, logits) {
  const probabilities = softmax(logits);
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[best]) best = i;
  const scores = {};
  labels.forEach((label, i) => {
    scores[label] = probabilities[i];
  });
  return { label: labels[best], score: probabilities[best], scores, logits: Float32Array.from(logits) };
}

/**
 * Reads and checks the adapterkit metadata of an adapter file.
 * @returns {object} the parsed "adapterkit" metadata object
 */
export function readAdapterMetadata(bytes, fileName) {
  const { metadata } = readSafetensorsHeader(bytes, fileName);
  if (metadata.format !== ADAPTER_FORMAT || typeof metadata.adapterkit !== 'string') {
    throw new AdapterkitError(
      ErrorCode.INVALID_FILE,
      `${fileName}: not an adapterkit adapter file (metadata 'format' is ${JSON.stringify(metadata.format ?? null)}, expected "${ADAPTER_FORMAT}"); ` +
        `convert AdapterHub adapters with tools/adapterhub/import_adapter.py first`,
    );
  }
  let config;
  try {
    config = JSON.parse(metadata.adapterkit);
  } catch (error) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: metadata 'adapterkit' is not valid JSON: ${error.message}`);
  }
  if (config?.version !== ADAPTER_FORMAT_VERSION) {
    throw new AdapterkitError(
      ErrorCode.INVALID_FILE,
      `${fileName}: adapter format version ${JSON.stringify(config?.version)} is not supported; this adapterkit reads version ${ADAPTER_FORMAT_VERSION}`,
    );
  }
  return config;
}

/**
 * A task on a base model: adapters, layer norms and a classification head. Create one with
 * base.createAdapter() or base.loadAdapter().
 */
export class Adapter {
  /** @internal */
  constructor(base, config, { handle = null, bytes = null, source = null, parameterCount = 0 } = {}) {
    this.base = base;
    /** The adapter's config, as stored in its file's metadata. */
    this.config = config;
    /** Where the adapter was loaded from (URL, path or "bytes"), or null when created. */
    this.source = source;
    /** Number of trained parameters (adapters, layer norms, head). */
    this.parameterCount = parameterCount;
    this._handle = handle;
    // The file bytes let an adapter evicted from wasm memory come back on its next use.
    this._bytes = bytes;
    this._disposed = false;
  }

  get name() {
    return this.config.name;
  }

  /** Label names, in the order of the head's outputs. */
  get labels() {
    return this.config.head.labels;
  }

  /** Size in bytes of the file this adapter was loaded from, or null. */
  get byteLength() {
    return this._bytes ? this._bytes.length : null;
  }

  /** @internal Returns the wasm handle, loading the adapter again after an eviction. */
  _ensureHandle() {
    if (this._disposed) {
      throw new AdapterkitError(ErrorCode.INVALID_STATE, `adapter '${this.name}' was disposed; load it again with base.loadAdapter()`);
    }
    this.base._checkAlive();
    if (this._handle === null) {
      this._handle = this.base._loadTaskHandle(this.config, this._bytes, this.source ?? 'adapter').handle;
    }
    this.base._touchAdapter(this);
    return this._handle;
  }

  /** @internal Frees the wasm copy but keeps the bytes, so the adapter can come back. */
  _evict() {
    if (this._handle !== null && this._bytes) {
      this.base._module.taskDelete(this._handle);
      this._handle = null;
    }
  }

  /**
   * Classifies texts (or text pairs).
   * @param {string|string[]} texts one text or a batch
   * @param {object} [options]
   * @param {string[]|null} [options.pairs=null] second texts of pairs, one per text
   * @param {number} [options.maxLength] truncation length; default max_position_embeddings
   * @param {number} [options.batchSize=32] rows per forward pass
   * @returns {Promise<Prediction|Prediction[]>} one result for a string, an array for an array;
   *   each {label, score, scores: {label: probability}, logits}
   */
  async classify(texts, options = {}) {
    const single = typeof texts === 'string';
    const list = single ? [texts] : texts;
    const pairs = options.pairs ?? null;
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!Array.isArray(list)) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `texts must be a string or an array of strings, got ${typeof texts}`);
    }
    const results = [];
    for (let start = 0; start < list.length; start += batchSize) {
      const chunk = list.slice(start, start + batchSize);
      const batch = this.base.tokenize(chunk, pairs ? pairs.slice(start, start + batchSize) : null, options);
      const handle = this._ensureHandle();
      const handles = new Int32Array(batch.batchSize).fill(handle);
      const rows = unwrapWasmResult(
        this.base._module.taskClassify(this.base._handle, handles, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength),
      );
      rows.forEach((logits, b) => results.push({ ...toPrediction(this.labels, logits), truncated: batch.truncated[b] }));
    }
    return single ? results[0] : results;
  }

  /**
   * Runs the base model with this adapter and returns its hidden states and pooled outputs, as
   * base.embed() does for the base alone.
   * @param {string|string[]} texts
   * @param {object} [options] pairs, maxLength and outputs, as for base.embed()
   */
  async embed(texts, options = {}) {
    const list = typeof texts === 'string' ? [texts] : texts;
    const batch = this.base.tokenize(list, options.pairs ?? null, options);
    return this.base.runBatch(batch, options.outputs ?? ['sentenceEmbedding'], this._ensureHandle());
  }

  /**
   * Returns every trained tensor: [{name, shape, data: Float32Array}] (copies).
   */
  tensors() {
    return unwrapWasmResult(this.base._module.taskTensors(this._ensureHandle()));
  }

  /**
   * Serialises the adapter as one self-describing safetensors file.
   * @param {{ dtype?: 'f16'|'f32' }} [options] storage type, default 'f16' (half the size)
   * @returns {Uint8Array}
   */
  toBytes(options = {}) {
    const dtype = options.dtype ?? 'f16';
    const metadata = { format: ADAPTER_FORMAT, adapterkit: JSON.stringify({ ...this.config, storage: dtype }) };
    return writeSafetensors(this.tensors(), metadata, dtype);
  }

  /** @internal Replaces the parameters by those of an adapter file with the same config. */
  _replaceParameters(bytes) {
    const config = readAdapterMetadata(bytes, `adapter '${this.name}'`);
    const info = this.base._loadTaskHandle({ ...this.config, ...config, base: this.config.base }, bytes, `adapter '${this.name}'`);
    if (this._handle !== null) this.base._module.taskDelete(this._handle);
    this._handle = info.handle;
    if (this._bytes) this._bytes = bytes;
  }

  /**
   * Trains the adapter on labelled examples. Only the adapter, its layer norms and its head
   * change; the base model stays frozen. In a browser page the training runs in a Web Worker
   * by default, so the page stays responsive.
   * @param {Array<{text: string, label: string, pair?: string}>} examples labels are names
   *   from this adapter's labels
   * @param {object} [options]
   * @param {number} [options.epochs=3]
   * @param {number} [options.batchSize=16] rows per step; batches are padded to their longest row
   * @param {number} [options.learningRate=1e-3] peak learning rate of AdamW
   * @param {number} [options.warmupRatio=0.1] share of the steps with a linear warm-up; the rate
   *   then decays linearly to zero
   * @param {number} [options.weightDecay=0.01] decoupled decay of adapter and head weights
   * @param {number} [options.maxGradNorm=1.0] global gradient-norm clip (0 disables it)
   * @param {number} [options.seed=0] shuffling seed: the same seed gives the same adapter, bit
   *   for bit, on the same machine
   * @param {number|Array} [options.validation=0.1] held-out fraction of the examples, or
   *   separate labelled examples, evaluated after each epoch; 0 disables it
   * @param {number|null} [options.earlyStoppingPatience=null] stop after this many epochs
   *   without a better validation accuracy
   * @param {null|'balanced'|Record<string, number>} [options.classWeights=null] loss weight
   *   per class; 'balanced' weighs each class by n / (classes * count)
   * @param {number} [options.maxLength=128] truncation length in tokens
   * @param {boolean} [options.recompute=false] keep only each layer's input and recompute its
   *   activations in the backward pass: about one more forward pass of time for much less memory
   * @param {(event: object) => void} [options.onProgress] {type: 'step', step, totalSteps,
   *   epoch, loss, learningRate, examplesPerSecond} and {type: 'epoch', epoch, trainLoss,
   *   validationAccuracy}
   * @param {AbortSignal} [options.signal] stops after the current step; the adapter keeps its
   *   best parameters so far
   * @param {boolean} [options.worker] run in a Web Worker; default true in browser pages when
   *   the base model was loaded from a URL
   * @returns {Promise<object>} {stopped: 'completed'|'early-stopping'|'cancelled', epochs,
   *   steps, history, bestEpoch, bestValidationAccuracy, examplesPerSecond, seconds}
   */
  async train(examples, options = {}) {
    this._ensureHandle();
    const { trainInThisThread, trainInWorker, workerAvailable } = await import('./training_driver.js');
    const useWorker = options.worker ?? workerAvailable(this.base);
    return useWorker ? trainInWorker(this, examples, options) : trainInThisThread(this, examples, options);
  }

  /**
   * Scores the adapter on labelled examples.
   * @returns {Promise<{accuracy: number, macroF1: number, perClass: Record<string, {precision: number, recall: number, f1: number, support: number}>, confusionMatrix: number[][], labels: string[], count: number}>}
   *   confusionMatrix[true][predicted], in the order of labels
   */
  async evaluate(examples, options = {}) {
    const { evaluateAdapter } = await import('./training.js');
    return evaluateAdapter(this, examples, options);
  }

  /** Frees the adapter's wasm memory. Later calls raise INVALID_STATE. */
  dispose() {
    if (this._disposed) return;
    if (this._handle !== null && this.base._handle !== null) this.base._module.taskDelete(this._handle);
    this._handle = null;
    this._disposed = true;
    this.base._forgetAdapter(this);
  }
}

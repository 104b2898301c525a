// The base model: a BERT encoder loaded from a Hugging Face folder, with its tokenizer and its
// sentence-embedding rule.

import { ADAPTER_FORMAT_VERSION, Adapter, readAdapterMetadata, toPrediction } from './adapter.js';
import { fetchVerified, openCache, requestPersistentStorage } from './cache.js';
import { AdapterkitError, ErrorCode, unwrapWasmResult } from './errors.js';
import { decodeText, isNode, joinLocation, parseJsonFile, readBytes } from './files.js';
import { log } from './log.js';
import { loadRuntime } from './runtime.js';
import { sha256Hex } from './sha256.js';
import { WordPieceTokenizer } from './tokenizer.js';

/**
 * Copies bytes into a wasm-side buffer and returns its handle; the caller deletes it.
 * @param {object} module
 * @param {Uint8Array} bytes
 */
export function copyIntoWasm(module, bytes) {
  const handle = unwrapWasmResult(module.bytesCreate(bytes.length));
  unwrapWasmResult(module.bytesView(handle)).set(bytes);
  return handle;
}

/**
 * Reads the sentence-transformers pooling rule from modules.json and 1_Pooling/config.json.
 * Without them the sentence vector is BERT's pooler output (dense + tanh on [CLS]).
 * @returns {{ mode: 'pooler'|'mean'|'cls', normalize: boolean, source: string }}
 */
export function resolvePooling(modules, poolingConfig, hasPooler) {
  if (Array.isArray(modules)) {
    const normalize = modules.some((m) => String(m?.type ?? '').endsWith('.Normalize'));
    const pooling = modules.find((m) => String(m?.type ?? '').endsWith('.Pooling'));
    if (pooling && poolingConfig) {
      if (poolingConfig.pooling_mode_mean_tokens === true) {
        return { mode: 'mean', normalize, source: 'modules.json + Pooling config' };
      }
      if (poolingConfig.pooling_mode_cls_token === true) {
        return { mode: 'cls', normalize, source: 'modules.json + Pooling config' };
      }
      const modes = Object.keys(poolingConfig).filter((k) => k.startsWith('pooling_mode_') && poolingConfig[k] === true);
      throw new AdapterkitError(
        ErrorCode.INVALID_FILE,
        `Pooling config: pooling mode ${modes.join(', ') || '(none)'} is not supported; expected pooling_mode_mean_tokens or pooling_mode_cls_token`,
      );
    }
  }
  return { mode: hasPooler ? 'pooler' : 'cls', normalize: false, source: hasPooler ? 'BERT pooler' : '[CLS] hidden state' };
}

/**
 * Reads the files of a Hugging Face BERT folder.
 * @param {string|URL} location folder URL, or under Node a folder path or file: URL
 * @param {object} [options] signal and onProgress, as for loadBaseModel
 * @returns {Promise<Record<string, Uint8Array|null>>} file name → bytes (null when optional and absent)
 */
export async function readModelFolder(location, options = {}) {
  const { signal, onProgress, fetch } = options;
  const local = (isNode && !/^[a-z][a-z0-9+.-]*:\/\//i.test(String(location))) || /^file:/i.test(String(location));
  const cache = local ? null : await openCache(options.cache);
  let integrity = options.integrity ?? {};
  // Files stored in the cache during this call: removed again unless the whole model loads.
  const storedNow = [];
  const read = async (name, optional) => {
    const url = joinLocation(location, name);
    const report = onProgress
      ? (loaded, total, fromCache = false) => onProgress({ file: name, loaded, total, fromCache })
      : undefined;
    if (local) return readBytes(url, { optional, signal, onProgress: report });
    const result = await fetchVerified(url, {
      cache,
      optional,
      signal,
      fetch,
      integrity: integrity[name],
      onCacheFailure: options.onCacheFailure,
      onProgress: report ? (loaded, total, fromCache = false) => report(loaded, total, fromCache) : undefined,
    });
    if (result && !result.fromCache && cache) storedNow.push(url);
    return result?.bytes ?? null;
  };

  try {
    // adapterkit.json (written by tools/repack_model.mjs) lists every file's SHA-256; its digests
    // guard the cache and the download. The caller's integrity option takes precedence.
    if (!local) {
      const manifestBytes = await read('adapterkit.json', true);
      if (manifestBytes) {
        const manifest = parseJsonFile(manifestBytes, 'adapterkit.json');
        const fromManifest = Object.fromEntries(Object.entries(manifest.files ?? {}).map(([name, entry]) => [name, entry.sha256]));
        integrity = { ...fromManifest, ...integrity };
      }
    }
    if (options.weightsOnly) return { 'model.safetensors': await read('model.safetensors', false) };
    const [config, vocab, tokenizerConfig, modules, sentenceConfig] = await Promise.all([
      read('config.json', false),
      read('vocab.txt', false),
      read('tokenizer_config.json', true),
      read('modules.json', true),
      read('sentence_bert_config.json', true),
    ]);
    let pooling = null;
    if (modules) {
      const entries = parseJsonFile(modules, 'modules.json');
      const poolingModule = Array.isArray(entries) ? entries.find((m) => String(m?.type ?? '').endsWith('.Pooling')) : null;
      if (poolingModule?.path) pooling = await read(`${poolingModule.path}/config.json`, true);
    }
    const weights = await read('model.safetensors', false);
    return {
      'config.json': config,
      'vocab.txt': vocab,
      'tokenizer_config.json': tokenizerConfig,
      'modules.json': modules,
      'pooling/config.json': pooling,
      'sentence_bert_config.json': sentenceConfig,
      'model.safetensors': weights,
    };
  } catch (error) {
    await Promise.all(storedNow.map((url) => cache.delete(url).catch(() => {})));
    throw error;
  }
}

/** A loaded BERT encoder with its tokenizer. Create it with loadBaseModel(). */
export class BaseModel {
  /** @internal use loadBaseModel() or BaseModel.fromFiles() */
  constructor(module, info, tokenizer, pooling, location) {
    this._module = module;
    this._handle = info.handle;
    /** Model hyper-parameters read from config.json (camelCase names). */
    this.config = info.config;
    /** Number of parameters in the encoder (embeddings, layers, pooler). */
    this.parameterCount = info.parameterCount;
    /** Storage dtypes found in model.safetensors, such as "F16". */
    this.dtypes = info.dtypes.split(',');
    this.hasPooler = info.hasPooler;
    /** @type {WordPieceTokenizer} */
    this.tokenizer = tokenizer;
    /** How sentenceEmbedding is computed: {mode: 'pooler'|'mean'|'cls', normalize}. */
    this.pooling = pooling;
    this.location = location;
    /** Hash of the architecture, weight statistics and vocabulary; adapters record it. */
    this.fingerprint = null;
    /** Size in bytes of model.safetensors as loaded. */
    this.weightsByteLength = 0;
    // Adapters whose wasm copy can be evicted, most recently used last.
    this._adapterCache = new Map();
    this._maxLoadedAdapters = 16;
    this._liveAdapters = new Set();
  }

  /**
   * Builds a base model from file contents already in memory.
   * @param {Record<string, Uint8Array|null>} files as returned by readModelFolder
   * @param {{ wasmUrl?: string, wasmBinary?: Uint8Array, location?: string }} [options]
   */
  static async fromFiles(files, options = {}) {
    const module = await loadRuntime(options);
    for (const name of ['config.json', 'vocab.txt', 'model.safetensors']) {
      if (!files[name]) {
        throw new AdapterkitError(ErrorCode.INVALID_FILE, `model file ${name} is missing`);
      }
    }
    const tokenizerConfig = files['tokenizer_config.json']
      ? parseJsonFile(files['tokenizer_config.json'], 'tokenizer_config.json')
      : {};
    const tokenizer = WordPieceTokenizer.fromVocabText(decodeText(files['vocab.txt'], 'vocab.txt'), {
      doLowerCase: tokenizerConfig.do_lower_case ?? true,
      stripAccents: tokenizerConfig.strip_accents ?? null,
      tokenizeChineseChars: tokenizerConfig.tokenize_chinese_chars ?? true,
      fileName: 'vocab.txt',
    });
    const configText = decodeText(files['config.json'], 'config.json');
    const weightsHandle = copyIntoWasm(module, files['model.safetensors']);
    let info;
    try {
      info = unwrapWasmResult(module.encoderLoad(configText, 'config.json', weightsHandle, 'model.safetensors'));
    } finally {
      module.bytesDelete(weightsHandle);
    }
    if (tokenizer.vocabSize > info.config.vocabSize) {
      module.encoderDelete(info.handle);
      throw new AdapterkitError(
        ErrorCode.INVALID_FILE,
        `vocab.txt has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${info.config.vocabSize}; the files belong to different models`,
      );
    }
    const modules = files['modules.json'] ? parseJsonFile(files['modules.json'], 'modules.json') : null;
    const poolingConfig = files['pooling/config.json'] ? parseJsonFile(files['pooling/config.json'], 'Pooling config.json') : null;
    const pooling = resolvePooling(modules, poolingConfig, info.hasPooler);
    const model = new BaseModel(module, info, tokenizer, pooling, options.location ?? null);
    const vocabText = decodeText(files['vocab.txt'], 'vocab.txt').replace(/\r\n?/g, '\n').replace(/\n+$/, '');
    model.fingerprint = (await sha256Hex(`${info.weightSignature}\nvocab:${await sha256Hex(vocabText)}`)).slice(0, 32);
    model.weightsByteLength = files['model.safetensors'].length;
    model._cacheOption = options.cache;
    if (files['sentence_bert_config.json']) {
      const sentenceConfig = parseJsonFile(files['sentence_bert_config.json'], 'sentence_bert_config.json');
      if (Number.isInteger(sentenceConfig.max_seq_length) && sentenceConfig.max_seq_length > 2) model._maxSequenceLength = sentenceConfig.max_seq_length;
    }
    // Training needs the weights once more (to pack their transposes). Re-read them from where
    // they came from, or keep the caller's bytes when there is no location.
    const weights = files['model.safetensors'];
    model._readWeights = options.readWeights ?? (async () => weights);
    if (options.maxLoadedAdapters !== undefined) {
      if (!Number.isInteger(options.maxLoadedAdapters) || options.maxLoadedAdapters < 1) {
        throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `maxLoadedAdapters must be a positive integer, got ${options.maxLoadedAdapters}`);
      }
      model._maxLoadedAdapters = options.maxLoadedAdapters;
    }
    log.info(
      `base model loaded${options.location ? ` from ${options.location}` : ''}: ${info.config.numHiddenLayers} layers, hidden ${info.config.hiddenSize}, ` +
        `${info.parameterCount} parameters (${info.dtypes}), ${files['model.safetensors'].length} bytes, sentence vector: ${pooling.source}`,
    );
    return model;
  }

  _checkAlive() {
    if (this._handle === null) {
      throw new AdapterkitError(ErrorCode.INVALID_STATE, 'this base model was disposed; load it again with loadBaseModel()');
    }
  }

  /**
   * Default truncation length in tokens, special tokens included: sentence-transformers'
   * max_seq_length when the folder has sentence_bert_config.json, else max_position_embeddings.
   */
  get maxLength() {
    return Math.min(this._maxSequenceLength ?? Infinity, this.config.maxPositionEmbeddings);
  }

  /**
   * Tokenizes texts (and optional second texts of pairs) into a right-padded batch.
   * @param {string[]} texts
   * @param {string[]|null} [pairs] second segment of each row, token type 1
   * @param {{ maxLength?: number }} [options] default and upper bound: max_position_embeddings
   * @returns {{ inputIds: Int32Array, tokenTypeIds: Int32Array, lengths: Int32Array, truncated: boolean[], batchSize: number, sequenceLength: number }}
   */
  tokenize(texts, pairs = null, options = {}) {
    if (!Array.isArray(texts) || texts.length === 0) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `texts must be a non-empty array of strings, got ${Array.isArray(texts) ? 'an empty array' : typeof texts}`);
    }
    if (pairs !== null && (!Array.isArray(pairs) || pairs.length !== texts.length)) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `pairs must be null or an array of ${texts.length} strings, one per text`);
    }
    const maxLength = Math.min(options.maxLength ?? this.maxLength, this.config.maxPositionEmbeddings);
    const encoded = this.tokenizer.encodeBatch(texts, pairs, { maxLength });
    return this.padBatch(
      encoded.map((e) => e.inputIds),
      encoded.map((e) => e.tokenTypeIds),
      encoded.map((e) => e.truncated),
    );
  }

  /** Packs rows of ids into a right-padded batch (padding id: [PAD]). */
  padBatch(rows, typeRows = null, truncated = null) {
    const batchSize = rows.length;
    const sequenceLength = Math.max(...rows.map((r) => r.length));
    const inputIds = new Int32Array(batchSize * sequenceLength).fill(this.tokenizer.padId);
    const tokenTypeIds = new Int32Array(batchSize * sequenceLength);
    const lengths = new Int32Array(batchSize);
    rows.forEach((row, b) => {
      inputIds.set(row, b * sequenceLength);
      if (typeRows?.[b]) tokenTypeIds.set(typeRows[b], b * sequenceLength);
      lengths[b] = row.length;
    });
    return { inputIds, tokenTypeIds, lengths, truncated: truncated ?? rows.map(() => false), batchSize, sequenceLength };
  }

  /**
   * Runs the encoder on texts.
   * @param {string|string[]} texts one text or a batch
   * @param {object} [options]
   * @param {string[]|null} [options.pairs=null] second texts of text pairs (token type 1)
   * @param {number} [options.maxLength] truncation length in tokens; default and upper bound:
   *   max_position_embeddings
   * @param {Array<'lastHiddenState'|'poolerOutput'|'sentenceEmbedding'>} [options.outputs=['sentenceEmbedding']]
   * @returns {Promise<EmbedResult>} each requested output as {data: Float32Array, dims}; also
   *   inputIds/lengths/truncated of the batch. lastHiddenState is [B, T, H] with zeros at padding.
   */
  async embed(texts, options = {}) {
    this._checkAlive();
    const list = typeof texts === 'string' ? [texts] : texts;
    const batch = this.tokenize(list, options.pairs ?? null, options);
    return this.runBatch(batch, options.outputs ?? ['sentenceEmbedding']);
  }

  /**
   * Runs the encoder on token ids (no tokenizer): rows of ids, each starting with [CLS].
   * @param {number[][]} inputIds
   * @param {{ tokenTypeIds?: number[][], outputs?: string[] }} [options]
   */
  async embedIds(inputIds, options = {}) {
    this._checkAlive();
    const batch = this.padBatch(inputIds, options.tokenTypeIds ?? null);
    return this.runBatch(batch, options.outputs ?? ['lastHiddenState']);
  }

  /** @internal */
  runBatch(batch, outputs, taskHandle = null) {
    const known = ['lastHiddenState', 'poolerOutput', 'sentenceEmbedding'];
    for (const name of outputs) {
      if (!known.includes(name)) {
        throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `unknown output '${name}'; expected one of ${known.join(', ')}`);
      }
    }
    const wantSentence = outputs.includes('sentenceEmbedding');
    const mode = this.pooling.mode;
    const raw = unwrapWasmResult(
      this._module.encoderForward(this._handle, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, {
        hidden: outputs.includes('lastHiddenState') || (wantSentence && mode === 'cls'),
        pooler: outputs.includes('poolerOutput') || (wantSentence && mode === 'pooler'),
        mean: wantSentence && mode === 'mean',
      }, taskHandle === null ? null : new Int32Array(batch.batchSize).fill(taskHandle)),
    );
    const B = batch.batchSize;
    const T = batch.sequenceLength;
    const H = this.config.hiddenSize;
    const result = { inputIds: batch.inputIds, lengths: batch.lengths, truncated: batch.truncated, dims: [B, T] };
    if (outputs.includes('lastHiddenState')) result.lastHiddenState = { data: raw.lastHiddenState, dims: [B, T, H] };
    if (outputs.includes('poolerOutput')) result.poolerOutput = { data: raw.pooler, dims: [B, H] };
    if (wantSentence) {
      let data;
      if (mode === 'mean') data = raw.mean;
      else if (mode === 'pooler') data = raw.pooler.slice();
      else {
        data = new Float32Array(B * H);
        for (let b = 0; b < B; b++) data.set(raw.lastHiddenState.subarray(b * T * H, b * T * H + H), b * H);
      }
      if (this.pooling.normalize) normalizeRows(data, B, H);
      result.sentenceEmbedding = { data, dims: [B, H] };
    }
    return result;
  }

  /**
   * Prepares the model for adapter training: packs the transposed weights that the backward
   * pass multiplies by (about as much wasm memory again as the weights). adapter.train() calls
   * it when needed; calling it again does nothing.
   * @returns {Promise<void>}
   */
  async enableTraining() {
    this._checkAlive();
    if (this._trainingEnabled) return;
    const bytes = await this._readWeights();
    const handle = copyIntoWasm(this._module, bytes);
    try {
      unwrapWasmResult(this._module.encoderEnableTraining(this._handle, handle, 'model.safetensors'));
    } finally {
      this._module.bytesDelete(handle);
    }
    this._trainingEnabled = true;
    log.info('training enabled: transposed weights packed');
  }

  /** Head input that matches this model's own sentence vector. */
  get defaultHeadInput() {
    return this.pooling.mode === 'pooler' ? 'pooler' : this.pooling.mode;
  }

  /**
   * Creates an adapter with fresh parameters: it leaves the base model's outputs unchanged
   * (the up-projections start at zero) until it is trained.
   * @param {object} options
   * @param {string[]} options.labels class names, at least two, unique
   * @param {string} [options.name='adapter'] letters, digits, '_' and '-'
   * @param {number} [options.size] bottleneck size m; default hidden size / 16 (AdapterHub's
   *   reduction factor 16). 0 trains only the head and the layer norms.
   * @param {'swish'|'relu'|'gelu'|'tanh'} [options.nonLinearity='swish']
   * @param {'all'|number[]|{top: number}} [options.layers='all'] layers that get adapters
   * @param {Array<'attention'|'feedForward'>} [options.sites=['attention','feedForward']]
   * @param {boolean} [options.layerNorm=true] train per-task layer-norm parameters
   * @param {'pooler'|'cls'|'mean'} [options.headInput] default: the model's sentence vector
   * @param {boolean} [options.headNormalize] L2-normalise the head input; default: as the
   *   model's sentence vector (true for normalised sentence-transformers models)
   * @param {1|2} [options.headLayers=1] 1: linear; 2: linear, activation, linear (AdapterHub's)
   * @param {'tanh'|'relu'|'gelu'|'swish'} [options.headActivation='tanh'] for two-layer heads
   * @param {number} [options.seed=0] seed of the initial weights
   * @param {number} [options.initStd=0.01] standard deviation of the down-projections
   * @returns {Adapter}
   */
  createAdapter(options = {}) {
    this._checkAlive();
    const known = ['labels', 'name', 'size', 'nonLinearity', 'layers', 'sites', 'layerNorm', 'headInput', 'headNormalize', 'headLayers', 'headActivation', 'seed', 'initStd'];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) {
        throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `createAdapter has no option '${key}'; the options are ${known.join(', ')}`);
      }
    }
    const nLayers = this.config.numHiddenLayers;
    let layers = options.layers ?? 'all';
    if (layers === 'all') layers = Array.from({ length: nLayers }, (_, i) => i);
    else if (layers && typeof layers === 'object' && !Array.isArray(layers) && Number.isInteger(layers.top)) {
      const top = Math.min(Math.max(layers.top, 0), nLayers);
      layers = Array.from({ length: top }, (_, i) => nLayers - top + i);
    } else if (!Array.isArray(layers)) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `layers must be 'all', an array of layer indices or {top: k}, got ${JSON.stringify(layers)}`);
    }
    const config = {
      version: ADAPTER_FORMAT_VERSION,
      name: options.name ?? 'adapter',
      adapter: {
        size: options.size ?? Math.max(1, Math.round(this.config.hiddenSize / 16)),
        nonLinearity: options.nonLinearity ?? 'swish',
        layers,
        sites: options.sites ?? ['attention', 'feedForward'],
        layerNorm: options.layerNorm ?? true,
      },
      head: {
        input: options.headInput ?? this.defaultHeadInput,
        normalize: options.headNormalize ?? ((options.headInput ?? this.defaultHeadInput) === 'mean' && this.pooling.normalize),
        layers: options.headLayers ?? 1,
        activation: options.headActivation ?? 'tanh',
        labels: options.labels,
      },
      base: this._baseDescription(),
    };
    if (!Array.isArray(config.head.labels)) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `labels must be an array of at least two class names, got ${JSON.stringify(options.labels)}`);
    }
    const info = unwrapWasmResult(this._module.taskCreate(this._handle, JSON.stringify(config), options.seed ?? 0, options.initStd ?? 0.01));
    const adapter = new Adapter(this, config, { handle: info.handle, parameterCount: info.parameterCount });
    this._liveAdapters.add(adapter);
    return adapter;
  }

  /** @internal */
  _baseDescription() {
    return {
      fingerprint: this.fingerprint,
      hiddenSize: this.config.hiddenSize,
      numHiddenLayers: this.config.numHiddenLayers,
      parameterCount: this.parameterCount,
      location: this.location,
    };
  }

  /** @internal Creates the wasm task of an adapter file after checking that it fits this base. */
  _loadTaskHandle(config, bytes, fileName) {
    if (config.base?.fingerprint !== this.fingerprint) {
      throw new AdapterkitError(
        ErrorCode.INCOMPATIBLE,
        `${fileName}: adapter '${config.name}' was trained on another base model (fingerprint ${config.base?.fingerprint ?? 'missing'}, ` +
          `hidden ${config.base?.hiddenSize}, ${config.base?.numHiddenLayers} layers${config.base?.location ? `, from ${config.base.location}` : ''}); ` +
          `the loaded base has fingerprint ${this.fingerprint} (hidden ${this.config.hiddenSize}, ${this.config.numHiddenLayers} layers). Load it on the base it was trained on.`,
      );
    }
    const bytesHandle = copyIntoWasm(this._module, bytes);
    try {
      return unwrapWasmResult(this._module.taskLoad(this._handle, JSON.stringify(config), bytesHandle, fileName));
    } finally {
      this._module.bytesDelete(bytesHandle);
    }
  }

  /** @internal Marks an adapter as used, evicting the least recently used beyond the limit. */
  _touchAdapter(adapter) {
    if (!adapter._bytes) return;
    this._adapterCache.delete(adapter);
    this._adapterCache.set(adapter, true);
    for (const [oldest] of this._adapterCache) {
      if (this._adapterCache.size <= this._maxLoadedAdapters) break;
      oldest._evict();
      this._adapterCache.delete(oldest);
    }
  }

  /** @internal */
  _forgetAdapter(adapter) {
    this._adapterCache.delete(adapter);
    this._liveAdapters.delete(adapter);
    for (const [key, value] of this._adaptersBySource ?? []) if (value === adapter) this._adaptersBySource.delete(key);
  }

  /**
   * Loads an adapter file. Loading the same URL again returns the same Adapter.
   * @param {string|URL|Uint8Array|ArrayBuffer|Blob} source URL (or path under Node), or the
   *   file's bytes
   * @param {object} [options]
   * @param {string} [options.integrity] expected SHA-256 of the file (hex or "sha256-<base64>");
   *   a file with another digest raises INTEGRITY and is neither used nor cached
   * @param {AbortSignal} [options.signal]
   * @param {boolean|string|object} [options.cache] as for loadBaseModel
   * @returns {Promise<Adapter>}
   * @throws {AdapterkitError} INVALID_FILE for a malformed file, INCOMPATIBLE for an adapter of
   *   another base model. The base model and other adapters keep working either way.
   */
  async loadAdapter(source, options = {}) {
    this._checkAlive();
    this._adaptersBySource ??= new Map();
    let bytes;
    let name;
    if (typeof source === 'string' || source instanceof URL) {
      name = String(source);
      const existing = this._adaptersBySource.get(name);
      if (existing && !existing._disposed) {
        existing._ensureHandle();
        return existing;
      }
      const local = isNode && !/^[a-z][a-z0-9+.-]*:\/\//i.test(name) || /^file:/i.test(name);
      if (local) {
        bytes = await readBytes(name, { signal: options.signal });
        if (options.integrity) await checkIntegrity(bytes, options.integrity, name);
      } else {
        const cache = await openCache(options.cache);
        bytes = (await fetchVerified(name, { cache, integrity: options.integrity, signal: options.signal, fetch: options.fetch })).bytes;
      }
    } else if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
      bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
      name = options.fileName ?? 'adapter bytes';
      if (options.integrity) await checkIntegrity(bytes, options.integrity, name);
    } else if (typeof Blob === 'function' && source instanceof Blob) {
      bytes = new Uint8Array(await source.arrayBuffer());
      name = source.name ?? options.fileName ?? 'adapter file';
      if (options.integrity) await checkIntegrity(bytes, options.integrity, name);
    } else {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `loadAdapter expects a URL, a path, bytes or a Blob, got ${source === null ? 'null' : typeof source}`);
    }
    const config = readAdapterMetadata(bytes, name);
    const info = this._loadTaskHandle(config, bytes, name);
    const adapter = new Adapter(this, config, { handle: info.handle, bytes, source: name, parameterCount: info.parameterCount });
    this._liveAdapters.add(adapter);
    if (typeof source === 'string' || source instanceof URL) this._adaptersBySource.set(name, adapter);
    this._touchAdapter(adapter);
    log.info(`adapter '${config.name}' loaded from ${name}: ${bytes.length} bytes, ${info.parameterCount} parameters, labels ${config.head.labels.join(', ')}`);
    return adapter;
  }

  /**
   * Runs several adapters on the same text as one batch: row i uses adapters[i], and all rows
   * share the base model's matrix products.
   * @param {string} text
   * @param {Adapter[]} adapters
   * @param {{ pair?: string, maxLength?: number }} [options]
   * @returns {Promise<Prediction[]>} one prediction per adapter, in order
   */
  async classifyAll(text, adapters, options = {}) {
    this._checkAlive();
    if (typeof text !== 'string') {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `classifyAll expects one text (a string), got ${typeof text}`);
    }
    if (!Array.isArray(adapters) || adapters.length === 0) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, 'classifyAll expects a non-empty array of adapters');
    }
    for (const adapter of adapters) {
      if (!(adapter instanceof Adapter) || adapter.base !== this) {
        throw new AdapterkitError(ErrorCode.INCOMPATIBLE, 'classifyAll: every adapter must come from this base model (base.loadAdapter or base.createAdapter)');
      }
    }
    const texts = adapters.map(() => text);
    const pairs = options.pair === undefined ? null : adapters.map(() => options.pair);
    const batch = this.tokenize(texts, pairs, options);
    const handles = Int32Array.from(adapters, (adapter) => adapter._ensureHandle());
    const rows = unwrapWasmResult(
      this._module.taskClassify(this._handle, handles, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength),
    );
    return rows.map((logits, i) => ({ adapter: adapters[i].name, ...toPrediction(adapters[i].labels, logits), truncated: batch.truncated[i] }));
  }

  /** Frees the wasm memory of this model and of its adapters. Later calls raise INVALID_STATE. */
  dispose() {
    for (const adapter of [...this._liveAdapters]) adapter.dispose();
    if (this._handle !== null) {
      this._module.encoderDelete(this._handle);
      this._handle = null;
    }
  }
}

/** Scales each row of data[B, H] to unit L2 norm (rows of zeros stay zero). */
export function normalizeRows(data, rows, width) {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let i = 0; i < width; i++) sum += data[r * width + i] * data[r * width + i];
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let i = 0; i < width; i++) data[r * width + i] *= scale;
  }
}

/**
 * Loads a base model from a Hugging Face BERT folder: config.json, vocab.txt,
 * model.safetensors (F32, F16 or BF16), and when present tokenizer_config.json, modules.json
 * and the sentence-transformers Pooling config.
 * @param {string|URL} location folder URL, or under Node a folder path or file: URL
 * @param {object} [options]
 * @param {(event: {file: string, loaded: number, total: number|null, fromCache: boolean}) => void} [options.onProgress]
 *   called as each file arrives, with bytes loaded and the total (null when unknown)
 * @param {AbortSignal} [options.signal] cancels the download (raises ABORTED); nothing is cached
 * @param {boolean|string|object} [options.cache=true] true: the browser's Cache Storage
 *   ("adapterkit-v1"); a string: another Cache Storage name; false: no caching; or an object
 *   with match/put/delete. Ignored for local paths under Node.
 * @param {Record<string, string>} [options.integrity] expected SHA-256 per file name, for
 *   example {"model.safetensors": "…"}; a mismatch raises INTEGRITY
 * @param {boolean} [options.persistStorage=false] ask the browser to keep the cache under
 *   storage pressure (navigator.storage.persist())
 * @param {(url: string, error: Error) => void} [options.onCacheFailure] called when a file
 *   could not be cached (for example, the quota is exceeded); the model still runs from memory
 * @param {number} [options.maxLoadedAdapters=16] adapters kept in wasm memory; the least
 *   recently used one beyond it is freed and comes back from its bytes on next use
 * @param {string|URL} [options.wasmUrl] where adapterkit.wasm is served (see loadRuntime)
 * @param {typeof fetch} [options.fetch] fetch implementation (default: globalThis.fetch)
 * @returns {Promise<BaseModel>}
 */
export async function loadBaseModel(location, options = {}) {
  if (options.persistStorage) {
    const granted = await requestPersistentStorage();
    if (!granted) log.warn('persistent storage was not granted: the browser may evict the cached model under storage pressure');
  }
  const files = await readModelFolder(location, options);
  const readWeights = async () => (await readModelFolder(location, { ...options, onProgress: undefined, weightsOnly: true }))['model.safetensors'];
  return BaseModel.fromFiles(files, { ...options, location: String(location), readWeights });
}

async function checkIntegrity(bytes, integrity, name) {
  const { parseSha256 } = await import('./sha256.js');
  let expected;
  try {
    expected = parseSha256(integrity);
  } catch (error) {
    throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, error.message);
  }
  const actual = await sha256Hex(bytes);
  if (actual !== expected) {
    throw new AdapterkitError(ErrorCode.INTEGRITY, `${name} has sha256 ${actual}, expected ${expected}; it was not loaded`);
  }
}

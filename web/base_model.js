// The base model: a BERT encoder loaded from a Hugging Face folder, with its tokenizer and its
// sentence-embedding rule.

import { AdapterkitError, ErrorCode, unwrapWasmResult } from './errors.js';
import { decodeText, joinLocation, parseJsonFile, readBytes } from './files.js';
import { loadRuntime } from './runtime.js';
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
  const read = (name, optional) => readBytes(joinLocation(location, name), { optional, signal, fetch });
  const [config, vocab, tokenizerConfig, modules] = await Promise.all([
    read('config.json', false),
    read('vocab.txt', false),
    read('tokenizer_config.json', true),
    read('modules.json', true),
  ]);
  let pooling = null;
  if (modules) {
    const entries = parseJsonFile(modules, 'modules.json');
    const poolingModule = Array.isArray(entries) ? entries.find((m) => String(m?.type ?? '').endsWith('.Pooling')) : null;
    if (poolingModule?.path) pooling = await read(`${poolingModule.path}/config.json`, true);
  }
  const weights = await readBytes(joinLocation(location, 'model.safetensors'), {
    signal,
    fetch,
    onProgress: onProgress
      ? (loaded, total) => onProgress({ file: 'model.safetensors', loaded, total })
      : undefined,
  });
  return {
    'config.json': config,
    'vocab.txt': vocab,
    'tokenizer_config.json': tokenizerConfig,
    'modules.json': modules,
    'pooling/config.json': pooling,
    'model.safetensors': weights,
  };
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
    return new BaseModel(module, info, tokenizer, pooling, options.location ?? null);
  }

  _checkAlive() {
    if (this._handle === null) {
      throw new AdapterkitError(ErrorCode.INVALID_STATE, 'this base model was disposed; load it again with loadBaseModel()');
    }
  }

  /** Longest input in tokens, special tokens included (max_position_embeddings). */
  get maxLength() {
    return this.config.maxPositionEmbeddings;
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
    const maxLength = Math.min(options.maxLength ?? this.maxLength, this.maxLength);
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
  runBatch(batch, outputs) {
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
      }),
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

  /** Frees the wasm memory of this model. Later calls raise INVALID_STATE. */
  dispose() {
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
 * Loads a base model from a Hugging Face BERT folder.
 * @param {string|URL} location folder URL, or under Node a folder path or file: URL
 * @param {object} [options]
 * @param {(event: {file: string, loaded: number, total: number|null}) => void} [options.onProgress]
 *   download progress of model.safetensors
 * @param {AbortSignal} [options.signal] cancels the download (raises ABORTED)
 * @param {string|URL} [options.wasmUrl] where adapterkit.wasm is served (see loadRuntime)
 * @returns {Promise<BaseModel>}
 */
export async function loadBaseModel(location, options = {}) {
  const files = await readModelFolder(location, options);
  return BaseModel.fromFiles(files, { ...options, location: String(location) });
}

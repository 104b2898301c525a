// TypeScript types of adapterkit's public API. The implementation is in the .js files of this
// folder; each declaration names the file.

/** Error codes; mirrored from the C++ StatusCode (src/status.h) plus JavaScript-only codes. */
export declare const ErrorCode: {
  readonly OK: 'OK';
  readonly INVALID_ARGUMENT: 'INVALID_ARGUMENT';
  readonly INVALID_FILE: 'INVALID_FILE';
  readonly INCOMPATIBLE: 'INCOMPATIBLE';
  readonly OUT_OF_MEMORY: 'OUT_OF_MEMORY';
  readonly BACKEND_FAILURE: 'BACKEND_FAILURE';
  readonly INVALID_STATE: 'INVALID_STATE';
  readonly UNSUPPORTED_ENVIRONMENT: 'UNSUPPORTED_ENVIRONMENT';
  readonly NETWORK: 'NETWORK';
  readonly INTEGRITY: 'INTEGRITY';
  readonly ABORTED: 'ABORTED';
};
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** errors.js: every error the library raises. */
export declare class AdapterkitError extends Error {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown });
}

/** A tensor returned by the library: row-major data and its dimensions. */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export interface RuntimeOptions {
  /** URL of adapterkit.wasm. Default: next to dist/adapterkit.mjs (import.meta.url). */
  wasmUrl?: string | URL;
  /** The .wasm bytes, when the caller already has them. Default under Node: read from the package. */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

/** runtime.js: feature detection, before anything is downloaded. */
export declare function detectFeatures(): { webAssembly: boolean; simd: boolean; threads: boolean };
/** runtime.js: loads the WebAssembly module once; later calls return the same module. */
export declare function loadRuntime(options?: RuntimeOptions): Promise<unknown>;

/** log.js: replaces the log handler (default: warnings to console.warn); null restores it. */
export declare function setLogHandler(handler: ((level: 'debug' | 'info' | 'warn' | 'error', message: string) => void) | null): void;

/** cache.js */
export declare const DEFAULT_CACHE_NAME: 'adapterkit-v1';
export declare function requestPersistentStorage(): Promise<boolean>;

/** A cache you supply instead of Cache Storage. */
export interface UserCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
}

export interface ProgressEvent {
  file: string;
  loaded: number;
  /** null when the server sends no Content-Length. */
  total: number | null;
  fromCache: boolean;
}

export interface LoadBaseModelOptions extends RuntimeOptions {
  /** Called as each file arrives. */
  onProgress?: (event: ProgressEvent) => void;
  /** Cancels the download (raises ABORTED); nothing is cached. */
  signal?: AbortSignal;
  /** true (default): Cache Storage "adapterkit-v1"; a string: another cache name; false: none. */
  cache?: boolean | string | UserCache;
  /** Expected SHA-256 per file name (hex or "sha256-<base64>"). */
  integrity?: Record<string, string>;
  /** Ask the browser to keep the cache under storage pressure. Default false. */
  persistStorage?: boolean;
  /** Called when a file could not be cached (quota); the model still runs from memory. */
  onCacheFailure?: (url: string, error: unknown) => void;
  /** Adapters kept in wasm memory; older ones come back from their bytes. Default 16. */
  maxLoadedAdapters?: number;
  /** fetch implementation. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export type OutputName = 'lastHiddenState' | 'poolerOutput' | 'sentenceEmbedding';

export interface EmbedOptions {
  /** Second texts of pairs (token type 1), one per text. */
  pairs?: string[] | null;
  /** Truncation length in tokens. Default: the model's maxLength. */
  maxLength?: number;
  /** Default ['sentenceEmbedding']. */
  outputs?: OutputName[];
}

export interface EmbedResult {
  /** [B, T, H], zeros at padding. */
  lastHiddenState?: Tensor;
  /** [B, H], BERT's pooler (dense + tanh on [CLS]). */
  poolerOutput?: Tensor;
  /** [B, H], the model's own sentence vector (pooler, [CLS] or mean; normalised when its sentence-transformers config requests it). */
  sentenceEmbedding?: Tensor;
  inputIds: Int32Array;
  lengths: Int32Array;
  truncated: boolean[];
  dims: [number, number];
}

export interface Prediction {
  label: string;
  score: number;
  scores: Record<string, number>;
  logits: Float32Array;
  truncated: boolean;
}

export interface CreateAdapterOptions {
  labels: string[];
  /** Letters, digits, '_' and '-'. Default 'adapter'. */
  name?: string;
  /** Bottleneck size m. Default hidden size / 16. 0 trains only the head and layer norms. */
  size?: number;
  /** Default 'swish'. */
  nonLinearity?: 'swish' | 'relu' | 'gelu' | 'tanh';
  /** Default 'all'. */
  layers?: 'all' | number[] | { top: number };
  /** Default ['attention', 'feedForward']. */
  sites?: Array<'attention' | 'feedForward'>;
  /** Train per-task layer norms. Default true. */
  layerNorm?: boolean;
  /** Default: the model's sentence vector. */
  headInput?: 'pooler' | 'cls' | 'mean';
  /** L2-normalise the head input. Default: as the model's sentence vector. */
  headNormalize?: boolean;
  /** Default 1. */
  headLayers?: 1 | 2;
  /** Default 'tanh' (two-layer heads). */
  headActivation?: 'tanh' | 'relu' | 'gelu' | 'swish';
  /** Default 0. */
  seed?: number;
  /** Standard deviation of the down-projections. Default 0.01. */
  initStd?: number;
}

export interface LoadAdapterOptions {
  /** Expected SHA-256 of the file (hex or "sha256-<base64>"). */
  integrity?: string;
  signal?: AbortSignal;
  cache?: boolean | string | UserCache;
  /** Name used in error messages for bytes. */
  fileName?: string;
  fetch?: typeof fetch;
}

export interface Example {
  text: string;
  label: string;
  pair?: string;
}

export interface TrainOptions {
  /** Default 3. */ epochs?: number;
  /** Default 16. */ batchSize?: number;
  /** Peak AdamW learning rate. Default 1e-3. */ learningRate?: number;
  /** Default 0.1. */ warmupRatio?: number;
  /** Default 0.01. */ weightDecay?: number;
  /** Default 1.0; 0 disables clipping. */ maxGradNorm?: number;
  /** Default 0. */ seed?: number;
  /** Held-out fraction or separate examples. Default 0.1. */ validation?: number | Example[];
  /** Default null (no early stopping). */ earlyStoppingPatience?: number | null;
  /** Default null. */ classWeights?: null | 'balanced' | Record<string, number>;
  /** Default 128. */ maxLength?: number;
  /** Default false. */ recompute?: boolean;
  onProgress?: (event: TrainingStepEvent | TrainingEpochEvent) => void;
  signal?: AbortSignal;
  /** Default: true in browser pages when the base was loaded from a URL. */
  worker?: boolean;
}

export interface TrainingStepEvent {
  type: 'step';
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  examplesPerSecond: number;
}

export interface TrainingEpochEvent {
  type: 'epoch';
  epoch: number;
  epochs: number;
  step: number;
  trainLoss: number;
  validationAccuracy?: number;
  validationMacroF1?: number;
  examplesPerSecond: number;
}

export interface TrainingReport {
  stopped: 'completed' | 'early-stopping' | 'cancelled';
  epochs: number;
  steps: number;
  history: Array<{ epoch: number; step: number; trainLoss: number; validationAccuracy?: number; validationMacroF1?: number }>;
  bestEpoch: number | null;
  bestValidationAccuracy: number | null;
  trainExamples: number;
  validationExamples: number;
  examplesPerSecond: number;
  seconds: number;
  worker?: boolean;
}

export interface Evaluation {
  accuracy: number;
  macroF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  /** confusionMatrix[true][predicted], in the order of labels. */
  confusionMatrix: number[][];
  labels: string[];
  count: number;
}

/** adapter.js */
export declare class Adapter {
  readonly base: BaseModel;
  readonly config: Record<string, any>;
  readonly source: string | null;
  readonly parameterCount: number;
  readonly name: string;
  readonly labels: string[];
  readonly byteLength: number | null;
  classify(text: string, options?: { pairs?: string[] | null; maxLength?: number; batchSize?: number }): Promise<Prediction>;
  classify(texts: string[], options?: { pairs?: string[] | null; maxLength?: number; batchSize?: number }): Promise<Prediction[]>;
  embed(texts: string | string[], options?: EmbedOptions): Promise<EmbedResult>;
  train(examples: Example[], options?: TrainOptions): Promise<TrainingReport>;
  evaluate(examples: Example[], options?: { batchSize?: number; maxLength?: number }): Promise<Evaluation>;
  tensors(): Array<{ name: string; shape: number[]; data: Float32Array }>;
  toBytes(options?: { dtype?: 'f16' | 'f32' }): Uint8Array;
  dispose(): void;
}

/** base_model.js */
export declare class BaseModel {
  readonly config: {
    numHiddenLayers: number; hiddenSize: number; numAttentionHeads: number; intermediateSize: number;
    maxPositionEmbeddings: number; typeVocabSize: number; vocabSize: number; layerNormEps: number; hiddenAct: string;
  };
  readonly parameterCount: number;
  readonly dtypes: string[];
  readonly hasPooler: boolean;
  readonly tokenizer: WordPieceTokenizer;
  readonly pooling: { mode: 'pooler' | 'mean' | 'cls'; normalize: boolean; source: string };
  readonly location: string | null;
  readonly fingerprint: string;
  readonly weightsByteLength: number;
  readonly maxLength: number;
  readonly defaultHeadInput: 'pooler' | 'cls' | 'mean';
  embed(texts: string | string[], options?: EmbedOptions): Promise<EmbedResult>;
  embedIds(inputIds: number[][], options?: { tokenTypeIds?: number[][]; outputs?: OutputName[] }): Promise<EmbedResult>;
  createAdapter(options: CreateAdapterOptions): Adapter;
  loadAdapter(source: string | URL | Uint8Array | ArrayBuffer | Blob, options?: LoadAdapterOptions): Promise<Adapter>;
  classifyAll(text: string, adapters: Adapter[], options?: { pair?: string; maxLength?: number }): Promise<Array<Prediction & { adapter: string }>>;
  enableTraining(): Promise<void>;
  dispose(): void;
}

/** base_model.js: loads a Hugging Face BERT folder (URL, or path/file URL under Node). */
export declare function loadBaseModel(location: string | URL, options?: LoadBaseModelOptions): Promise<BaseModel>;

/** tokenizer.js */
export declare class WordPieceTokenizer {
  static fromVocabText(text: string, options?: { doLowerCase?: boolean; stripAccents?: boolean | null; tokenizeChineseChars?: boolean; maxInputCharsPerWord?: number; fileName?: string }): WordPieceTokenizer;
  constructor(tokens: string[], options?: Record<string, unknown>);
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly vocabSize: number;
  tokenize(text: string): string[];
  encode(text: string, textPair?: string | null, options?: { maxLength?: number | null; addSpecialTokens?: boolean }): { inputIds: Int32Array; tokenTypeIds: Int32Array; truncated: boolean };
  encodeBatch(texts: string[], pairs?: string[] | null, options?: { maxLength?: number | null; addSpecialTokens?: boolean }): Array<{ inputIds: Int32Array; tokenTypeIds: Int32Array; truncated: boolean }>;
  convertTokensToIds(tokens: string[]): number[];
  convertIdsToTokens(ids: number[]): string[];
}

/** adapterhub.js: AdapterHub (Python `adapters` library) saved adapters. */
export interface AdapterHubFiles {
  adapterConfig: Record<string, any>;
  adapterWeights: Uint8Array;
  headConfig: Record<string, any>;
  headWeights: Uint8Array;
  layerNorms?: Uint8Array;
}
export declare function importAdapterHub(base: BaseModel, files: AdapterHubFiles, options?: { name?: string }): Promise<Adapter>;
export declare function exportAdapterHub(adapter: Adapter, options?: { modelPrefix?: string }): {
  'adapter_config.json': string;
  'adapter.safetensors': Uint8Array;
  'head_config.json': string;
  'model_head.safetensors': Uint8Array;
};

// adapterkit: BERT encoders in the browser with kilobyte-scale task adapters.

export { Adapter } from './adapter.js';
export { BaseModel, loadBaseModel } from './base_model.js';
export { DEFAULT_CACHE_NAME, requestPersistentStorage } from './cache.js';
export { AdapterkitError, ErrorCode } from './errors.js';
export { setLogHandler } from './log.js';
export { detectFeatures, loadRuntime } from './runtime.js';
export { WordPieceTokenizer } from './tokenizer.js';
export { exportAdapterHub, importAdapterHub } from './adapterhub.js';

// Chooses where adapter training runs: in this thread, or in a module Web Worker that loads the
// same base model (from the cache) and sends the trained parameters back.

import { AdapterkitError, ErrorCode } from './errors.js';
import { trainInThisThread } from './training.js';

export { trainInThisThread };

/** Tells whether a worker can train this base model: a browser with module workers and a URL. */
export function workerAvailable(base) {
  const isBrowserPage = typeof window === 'object' && typeof Worker === 'function';
  return isBrowserPage && typeof base.location === 'string' && /^(https?:|blob:)/.test(new URL(base.location, globalThis.location?.href).protocol);
}

/**
 * Trains in a Web Worker. The options are those of Adapter.train; onProgress and signal work
 * across the thread boundary.
 */
export function trainInWorker(adapter, examples, options = {}) {
  const { onProgress, signal, worker: _worker, ...plain } = options;
  const base = adapter.base;
  const location = new URL(base.location, globalThis.location?.href).href;
  const worker = new Worker(new URL('./training_worker.js', import.meta.url), { type: 'module' });
  const bytes = adapter.toBytes({ dtype: 'f32' });
  return new Promise((resolve, reject) => {
    const abort = () => worker.postMessage({ type: 'cancel' });
    signal?.addEventListener('abort', abort, { once: true });
    const finish = () => {
      signal?.removeEventListener('abort', abort);
      worker.terminate();
    };
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') {
        onProgress?.(data.event);
      } else if (data.type === 'done') {
        finish();
        try {
          adapter._replaceParameters(data.bytes);
          resolve({ ...data.report, worker: true });
        } catch (error) {
          reject(error);
        }
      } else if (data.type === 'error') {
        finish();
        reject(new AdapterkitError(data.code ?? ErrorCode.BACKEND_FAILURE, data.message));
      }
    };
    worker.onerror = (event) => {
      finish();
      reject(new AdapterkitError(ErrorCode.BACKEND_FAILURE, `training worker failed: ${event.message ?? 'unknown error'}`));
    };
    worker.postMessage(
      { type: 'train', location, cache: typeof base._cacheOption === 'string' ? base._cacheOption : undefined, adapterBytes: bytes, examples, options: plain },
      [bytes.buffer],
    );
    if (signal?.aborted) abort();
  });
}

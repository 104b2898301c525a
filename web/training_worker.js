// Module Web Worker that trains one adapter: it loads the base model (from the cache when the
// page already downloaded it), trains, and posts the trained adapter file back.

import { loadBaseModel } from './base_model.js';

let cancel = null;

self.onmessage = async ({ data }) => {
  if (data.type === 'cancel') {
    cancel?.abort();
    return;
  }
  if (data.type !== 'train') return;
  cancel = new AbortController();
  try {
    const base = await loadBaseModel(data.location, { cache: data.cache });
    const adapter = await base.loadAdapter(new Uint8Array(data.adapterBytes), { fileName: 'adapter under training' });
    const report = await adapter.train(data.examples, {
      ...data.options,
      worker: false,
      signal: cancel.signal,
      onProgress: (event) => self.postMessage({ type: 'progress', event }),
    });
    const bytes = adapter.toBytes({ dtype: 'f32' });
    self.postMessage({ type: 'done', report, bytes }, [bytes.buffer]);
    base.dispose();
  } catch (error) {
    self.postMessage({ type: 'error', code: error?.code, message: error?.message ?? String(error) });
  }
};

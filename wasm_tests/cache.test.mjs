// The download cache under Node with a cache object the caller supplies (the browser's Cache
// Storage is tested in browser_cache.test.mjs): store once, verify on read, re-download a
// corrupted entry, keep running when the quota is exceeded, and reject files whose digest
// differs from the folder's manifest.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';
import { setLogHandler } from '../web/log.js';
import { startStaticServer } from '../tools/static_server.mjs';
import { modelFolder } from './helpers/golden.mjs';

let root;
let server;

/** Creates a Cache-like object over a Map. With `failPut`, put() fails as a full quota does. */
function memoryCache({ failPut = false } = {}) {
  const entries = new Map();
  return {
    entries,
    async match(url) {
      const stored = entries.get(url);
      return stored ? new Response(stored.body.slice(), { headers: stored.headers }) : undefined;
    },
    async put(url, response) {
      if (failPut) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
      entries.set(url, { body: new Uint8Array(await response.arrayBuffer()), headers: Object.fromEntries(response.headers) });
    },
    async delete(url) {
      return entries.delete(url);
    },
  };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'adapterkit-cache-'));
  await cp(modelFolder('tiny-f32'), join(root, 'model'), { recursive: true });
  await cp(modelFolder('tiny-f32'), join(root, 'altered'), { recursive: true });
  // The manifest promises the original weights, but the folder contains altered ones.
  const weights = await readFile(join(root, 'model', 'model.safetensors'));
  const manifest = { files: { 'model.safetensors': { size: weights.length, sha256: createHash('sha256').update(weights).digest('hex') } } };
  await writeFile(join(root, 'altered', 'adapterkit.json'), JSON.stringify(manifest));
  const altered = Buffer.from(weights);
  altered[altered.length - 1] ^= 1;
  await writeFile(join(root, 'altered', 'model.safetensors'), altered);
  server = await startStaticServer({ root });
});

after(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

const weightRequests = (folder) => server.requests.filter((r) => r.path === `/${folder}/model.safetensors`).length;

test('cache stores once and serves again', async () => {
  const cache = memoryCache();
  const before = weightRequests('model');
  const first = await loadBaseModel(`${server.url}/model/`, { cache });
  const events = [];
  const second = await loadBaseModel(`${server.url}/model/`, { cache, onProgress: (e) => events.push(e) });
  assert.equal(weightRequests('model') - before, 1);
  assert.equal(first.fingerprint, second.fingerprint);
  assert.ok(events.filter((e) => e.file === 'model.safetensors').every((e) => e.fromCache));
  first.dispose();
  second.dispose();
});

test('cache corrupted entry downloaded again', async () => {
  const cache = memoryCache();
  const warnings = [];
  setLogHandler((level, message) => level === 'warn' && warnings.push(message));
  try {
    (await loadBaseModel(`${server.url}/model/`, { cache })).dispose();
    const url = `${server.url}/model/model.safetensors`;
    cache.entries.get(url).body[100] ^= 0xff;
    const before = weightRequests('model');
    const model = await loadBaseModel(`${server.url}/model/`, { cache });
    assert.equal(weightRequests('model') - before, 1);
    assert.ok(warnings.some((w) => w.includes(`cached copy of ${url} has sha256`) && w.includes('downloading again')), warnings.join('\n'));
    model.dispose();
  } finally {
    setLogHandler(null);
  }
});

test('cache quota exceeded still loads', async () => {
  const warnings = [];
  const failures = [];
  setLogHandler((level, message) => level === 'warn' && warnings.push(message));
  try {
    const model = await loadBaseModel(`${server.url}/model/`, { cache: memoryCache({ failPut: true }), onCacheFailure: (url) => failures.push(url) });
    const result = await model.embed('still running', { outputs: ['poolerOutput'] });
    assert.equal(result.poolerOutput.data.length, 32);
    assert.ok(failures.some((url) => url.endsWith('/model.safetensors')));
    assert.ok(warnings.some((w) => /storage quota is exceeded; it runs from memory/.test(w)), warnings.join('\n'));
    model.dispose();
  } finally {
    setLogHandler(null);
  }
});

test('manifest digest mismatch rejected and not kept', async () => {
  const cache = memoryCache();
  await assert.rejects(loadBaseModel(`${server.url}/altered/`, { cache }), (error) => {
    assert.equal(error.code, 'INTEGRITY');
    assert.match(error.message, /altered\/model\.safetensors has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    return true;
  });
  assert.deepEqual([...cache.entries.keys()], [], 'files of the failed load were removed from the cache');
});

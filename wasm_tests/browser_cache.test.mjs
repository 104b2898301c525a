// Download-once behaviour in headless Chromium: the base model is fetched once across page
// reloads, adapters on first use only, a cancelled download leaves nothing in Cache Storage,
// and an altered adapter is refused when an integrity hash is given.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';
import { startStaticServer } from '../tools/static_server.mjs';
import { collectPageErrors, launchChromium } from './helpers/browser.mjs';
import { modelFolder } from './helpers/golden.mjs';

const repoRoot = new URL('..', import.meta.url).pathname;
const MODEL = '/wasm_tests/fixtures/models/tiny-f32/';
let server;
let browser;
let adapterBytes;
let slowRequests = 0;

before(async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  adapterBytes = base.createAdapter({ labels: ['a', 'b'], size: 4, name: 'cached' }).toBytes();
  base.dispose();
  const altered = adapterBytes.slice();
  altered[altered.length - 2] ^= 0x40;
  server = await startStaticServer({
    root: repoRoot,
    intercept(request, response) {
      const path = new URL(request.url, 'http://127.0.0.1').pathname;
      if (path === '/test-adapters/good.safetensors' || path === '/test-adapters/altered.safetensors') {
        const body = path.includes('good') ? adapterBytes : altered;
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
        response.end(Buffer.from(body));
        return true;
      }
      if (path.startsWith('/slow-model/')) {
        // The weights arrive in small pieces, slowly, so the page can cancel in the middle.
        const name = path.slice('/slow-model/'.length);
        if (name !== 'model.safetensors') {
          response.writeHead(302, { Location: `${MODEL}${name}` }).end();
          return true;
        }
        slowRequests++;
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 125456 });
        let sent = 0;
        const timer = setInterval(() => {
          if (response.destroyed || sent >= 125456) {
            clearInterval(timer);
            return;
          }
          response.write(Buffer.alloc(1000));
          sent += 1000;
        }, 50);
        response.on('close', () => clearInterval(timer));
        return true;
      }
      return false;
    },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const count = (suffix) => server.requests.filter((r) => r.method === 'GET' && r.path.endsWith(suffix)).length;

async function openPage() {
  const page = await browser.context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/wasm_tests/browser/blank.html`);
  return { page, errors };
}

test('chromium base downloaded once across reloads', async () => {
  const { page, errors } = await openPage();
  const load = (model) =>
    page.evaluate(async (location) => {
      const { loadBaseModel } = await import('/web/index.js');
      const events = [];
      const base = await loadBaseModel(location, { onProgress: (e) => events.push(e) });
      const embedding = await base.embed('hello world', { outputs: ['poolerOutput'] });
      base.dispose();
      return { weights: events.filter((e) => e.file === 'model.safetensors'), first: Array.from(embedding.poolerOutput.data.slice(0, 4)) };
    }, model);
  const first = await load(MODEL);
  assert.equal(count(`${MODEL}model.safetensors`), 1, errors.join('\n'));
  assert.ok(first.weights.some((e) => !e.fromCache && e.loaded === e.total && e.total === 125456));
  await page.reload();
  const second = await load(MODEL);
  assert.equal(count(`${MODEL}model.safetensors`), 1, 'the weights were downloaded again');
  assert.ok(second.weights.every((e) => e.fromCache), JSON.stringify(second.weights));
  assert.deepEqual(second.first, first.first);
  await page.close();
});

test('chromium adapter fetched on first use only', async () => {
  const { page } = await openPage();
  const run = () =>
    page.evaluate(async (model) => {
      const { loadBaseModel } = await import('/web/index.js');
      const base = await loadBaseModel(model);
      const a = await base.loadAdapter('/test-adapters/good.safetensors');
      const again = await base.loadAdapter('/test-adapters/good.safetensors');
      const prediction = await a.classify('hello');
      const same = a === again;
      base.dispose();
      return { same, label: prediction.label };
    }, MODEL);
  const first = await run();
  assert.equal(first.same, true);
  assert.equal(count('/test-adapters/good.safetensors'), 1);
  await page.reload();
  await run();
  assert.equal(count('/test-adapters/good.safetensors'), 1, 'the adapter was downloaded again after a reload');
  await page.close();
});

test('chromium altered adapter refused with integrity', async () => {
  const { page } = await openPage();
  const digest = createHash('sha256').update(adapterBytes).digest('hex');
  const outcome = await page.evaluate(async ({ model, digest: expected }) => {
    const { loadBaseModel } = await import('/web/index.js');
    const base = await loadBaseModel(model);
    let error = null;
    try {
      await base.loadAdapter('/test-adapters/altered.safetensors', { integrity: expected });
    } catch (e) {
      error = { code: e.code, message: e.message };
    }
    const cache = await caches.open('adapterkit-v1');
    const cached = await cache.match(new URL('/test-adapters/altered.safetensors', location.href).href);
    const good = await base.loadAdapter('/test-adapters/good.safetensors', { integrity: expected });
    base.dispose();
    return { error, cached: Boolean(cached), goodLabels: good.labels };
  }, { model: MODEL, digest });
  assert.equal(outcome.error?.code, 'INTEGRITY');
  assert.match(outcome.error.message, /altered\.safetensors has sha256 [0-9a-f]{64}, expected/);
  assert.equal(outcome.cached, false);
  assert.deepEqual(outcome.goodLabels, ['a', 'b']);
  await page.close();
});

test('chromium cancelled download leaves no cache entry', async () => {
  const { page } = await openPage();
  const outcome = await page.evaluate(async () => {
    const { loadBaseModel } = await import('/web/index.js');
    const controller = new AbortController();
    let error = null;
    try {
      await loadBaseModel('/slow-model/', {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.file === 'model.safetensors' && e.loaded >= 3000) controller.abort('user pressed stop');
        },
      });
    } catch (e) {
      error = { code: e.code, message: e.message };
    }
    const cache = await caches.open('adapterkit-v1');
    const keys = (await cache.keys()).map((r) => new URL(r.url).pathname).filter((p) => p.startsWith('/slow-model/'));
    return { error, keys };
  });
  assert.equal(outcome.error?.code, 'ABORTED', JSON.stringify(outcome.error));
  assert.match(outcome.error.message, /download of .*slow-model\/model\.safetensors was cancelled: user pressed stop/);
  assert.deepEqual(outcome.keys, []);
  assert.equal(slowRequests, 1);
  await page.close();
});

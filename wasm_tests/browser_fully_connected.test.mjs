import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startStaticServer } from '../tools/static_server.mjs';
import { collectPageErrors, launchChromium } from './helpers/browser.mjs';

const repoRoot = new URL('..', import.meta.url).pathname;
let server;
let browser;

before(async () => {
  server = await startStaticServer({ root: repoRoot });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('chromium fullyConnected matches double reference', async () => {
  const page = await browser.context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/wasm_tests/browser/fully_connected.html`);
  await page.waitForFunction(() => window.fullyConnectedResults !== undefined, null, { timeout: 60_000 });
  const outcome = await page.evaluate(() => window.fullyConnectedResults);
  assert.equal(outcome.error, undefined, `page failed: ${outcome.error}\n${errors.join('\n')}`);
  assert.equal(outcome.features.simd, true);
  assert.equal(outcome.results.length, 10);
  for (const { shape, transposed, maxDifference, tolerance } of outcome.results) {
    assert.ok(
      maxDifference <= tolerance,
      `${JSON.stringify(shape)} transposed=${Boolean(transposed)}: ${maxDifference} > ${tolerance}`,
    );
  }
  // The .wasm was fetched from next to the module, found through import.meta.url.
  assert.ok(server.requests.some((request) => request.path === '/dist/adapterkit.wasm'));
  await page.close();
});

// End-to-end test of the demo page (demo/index.html) in headless Chromium. It covers the model
// download and the cache, classification with two demo adapters and with all of them, the CSV
// upload, training in the worker with a live chart while the main thread stays responsive, the
// adapter download and reload, and the phone layout. Screenshots go to
// wasm_tests/output/demo-<stage>.png.
//
// It uses the adapters in demo/adapters/ (results.json and <task>.safetensors). While those are
// not there yet, ADAPTERKIT_DEMO_ADAPTERS=<folder> serves another folder in their place.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startStaticServer } from '../tools/static_server.mjs';
import { collectPageErrors, launchChromium } from './helpers/browser.mjs';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const outputDir = join(repoRoot, 'wasm_tests', 'output');
const fixture = join(repoRoot, 'demo', 'fixtures', 'example.csv');
const adaptersOverride = process.env.ADAPTERKIT_DEMO_ADAPTERS ?? null;
const adaptersDir = adaptersOverride ?? join(repoRoot, 'demo', 'adapters');
const SENTENCE = 'The soup was cold but the staff were lovely and kind.';
const MODEL_LOAD_MS = 180_000;
const TRAINING_MS = 300_000;

// A local download of 45 MB ends before the page can be looked at: the weights are sent in 1 MB
// pieces 60 ms apart (about 3 s), so the test can see the progress bar move.
function serveSlowly(path, response) {
  const file = join(repoRoot, path);
  response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache' });
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  stream.on('data', (chunk) => {
    stream.pause();
    response.write(chunk);
    setTimeout(() => stream.resume(), 60);
  });
  stream.on('end', () => response.end());
  stream.on('error', (error) => response.destroy(error));
}

function intercept(request, response) {
  const path = decodeURIComponent(new URL(request.url, 'http://127.0.0.1').pathname);
  if (request.method === 'GET' && path.startsWith('/build/models/') && path.endsWith('/model.safetensors')) {
    serveSlowly(path, response);
    return true;
  }
  // The override folder is served at /demo/adapters/, where the page requests adapters.
  if (!adaptersOverride || !path.startsWith('/demo/adapters/')) return false;
  const file = join(adaptersOverride, basename(path));
  if (!existsSync(file)) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
    return true;
  }
  const type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
  response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache' }).end(readFileSync(file));
  return true;
}

let server;
let browser;

before(async () => {
  await mkdir(outputDir, { recursive: true });
  server = await startStaticServer({ root: repoRoot, intercept });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function availableTasks() {
  const resultsPath = join(adaptersDir, 'results.json');
  assert.ok(existsSync(resultsPath), `${resultsPath} is missing: train the demo adapters with node tools/demo_adapters.mjs`);
  const results = JSON.parse(await readFile(resultsPath, 'utf8'));
  return Object.entries(results.tasks ?? {})
    .filter(([key]) => existsSync(join(adaptersDir, `${key}.safetensors`)))
    .map(([key, info]) => ({ key, labels: info.labels }));
}

/** Waits until the prediction panel shows a result for this task and text. */
async function waitForPrediction(page, task, text) {
  await page.waitForFunction(
    ([wantTask, wantText]) => {
      const panel = document.getElementById('prediction');
      return !panel.hidden && panel.dataset.task === wantTask && panel.dataset.text === wantText;
    },
    [task, text],
    { timeout: 30_000 },
  );
  return page.evaluate(() => {
    const { label, score, task: value } = document.getElementById('prediction').dataset;
    return { label, score: Number(score), task: value };
  });
}

async function waitForModel(page) {
  await page.waitForFunction(() => document.getElementById('model-status').dataset.state !== 'loading', null, { timeout: MODEL_LOAD_MS });
  const state = await page.evaluate(() => ({
    state: document.getElementById('model-status').dataset.state,
    source: document.getElementById('model-status').dataset.source,
    message: document.getElementById('model-message').textContent,
    error: document.getElementById('model-error').textContent,
  }));
  assert.equal(state.state, 'ready', `the base model did not load: ${state.message} ${state.error}`);
  // The text box is enabled once the demo adapters have loaded or failed to load.
  await page.waitForFunction(() => !document.getElementById('text').disabled, null, { timeout: 60_000 });
  return state;
}

const shot = (page, stage, options = {}) => page.screenshot({ path: join(outputDir, `demo-${stage}.png`), fullPage: true, ...options });

test('demo page end to end', { timeout: 900_000 }, async (t) => {
  const tasks = await availableTasks();
  assert.ok(tasks.length >= 2, `need at least two demo adapters in ${adaptersDir}, found ${tasks.length}`);
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  const errors = collectPageErrors(page);
  const started = Date.now();

  await t.test('model download shows progress', async () => {
    await page.goto(`${server.url}/demo/`);
    await page.waitForFunction(
      () => {
        const bar = document.getElementById('model-progress');
        return bar.max > 1e6 && bar.value > 0 && bar.value < bar.max;
      },
      null,
      { timeout: MODEL_LOAD_MS },
    );
    assert.match(await page.textContent('#model-bytes'), /^[\d.]+ (kB|MB) of 45\.\d MB \(\d+%\)$/);
    await shot(page, 'downloading', { fullPage: false });
    const state = await waitForModel(page);
    assert.equal(state.source, 'network', state.message);
    assert.match(state.message, /Downloaded/);
    assert.match(await page.textContent('#fact-code-path'), /SIMD128: yes/);
    await shot(page, 'loaded');
  });

  await t.test('two adapters and all tasks classify', async () => {
    for (const { key, labels } of tasks.slice(0, 2)) {
      await page.selectOption('#task', key);
      await page.fill('#text', SENTENCE);
      const prediction = await waitForPrediction(page, key, SENTENCE);
      assert.ok(labels.includes(prediction.label), `${key}: label ${prediction.label} is not one of ${labels.join(', ')}`);
      assert.equal(await page.textContent('#prediction-label'), prediction.label);
      assert.equal(await page.locator('#score-bars li').count(), labels.length);
      assert.match(await page.textContent('#prediction-meta'), /\d+(\.\d)? ms/);
      assert.match(await page.textContent('#task-info'), /Adapter file .* next to the base model's/);
    }
    await shot(page, 'classify');
    await page.selectOption('#task', '*all');
    await waitForPrediction(page, '*all', SENTENCE);
    assert.equal(await page.locator('#all-tasks-body tr').count(), tasks.length);
    await shot(page, 'all-tasks');
  });

  await t.test('non-adapter file shows library error', async () => {
    await page.setInputFiles('#adapter-file', fixture);
    await page.waitForSelector('#try-error:not([hidden])', { timeout: 30_000 });
    assert.match(await page.textContent('#try-error'), /example\.csv.*\(INVALID_FILE\)/s);
  });

  await t.test('CSV rows rejected and counted', async () => {
    await page.fill('#csv-text', 'text,label\n,food\nWarm bread,\nHot and sunny,weather\n');
    await page.waitForSelector('#rejected-rows', { timeout: 10_000 });
    const rejected = await page.locator('#rejected-rows li strong').allTextContents();
    assert.deepEqual(rejected, ['Row 2: empty text', 'Row 3: missing label']);
    assert.equal(await page.isDisabled('#train-button'), true, 'one label only: training must be disabled');

    await page.setInputFiles('#csv-file', fixture);
    await page.waitForFunction(() => document.querySelectorAll('#label-counts tbody tr').length === 2, null, { timeout: 10_000 });
    const counts = await page.$$eval('#label-counts tbody tr', (rows) => rows.map((row) => [row.cells[0].textContent, Number(row.cells[1].textContent)]));
    assert.deepEqual(Object.fromEntries(counts), { food: 20, weather: 20 });
    assert.equal(await page.locator('#rejected-rows').count(), 0);
  });

  let trainedTask;
  let beforeReload;
  await t.test('training updates chart, page responsive', async () => {
    await page.fill('#adapter-name', 'demo-test');
    await page.fill('#epochs', '1');
    await page.fill('#batch-size', '8');
    // One epoch of four steps learns little at the default rate; a higher one shows a result.
    await page.fill('#learning-rate', '0.01');
    await page.evaluate(() => {
      window.testTicks = [];
      window.testTimer = setInterval(() => window.testTicks.push(performance.now()), 50);
    });
    const trainingStarted = Date.now();
    await page.click('#train-button');
    await page.waitForFunction(() => Number(document.getElementById('chart').dataset.points) >= 2, null, { timeout: TRAINING_MS });
    await shot(page, 'training');
    await page.waitForFunction(
      () => !document.getElementById('evaluation').hidden || !document.getElementById('train-error').hidden,
      null,
      { timeout: TRAINING_MS },
    );
    const trainingSeconds = (Date.now() - trainingStarted) / 1000;
    const largestGap = await page.evaluate(() => {
      clearInterval(window.testTimer);
      const ticks = window.testTicks;
      let gap = 0;
      for (let i = 1; i < ticks.length; i++) gap = Math.max(gap, ticks[i] - ticks[i - 1]);
      return { gap, ticks: ticks.length };
    });
    assert.equal(await page.isHidden('#train-error'), true, await page.textContent('#train-error'));
    const points = await page.evaluate(() => ({ ...document.getElementById('chart').dataset }));
    // 32 rows after holding out 8, batches of 8: four steps and one epoch.
    assert.ok(Number(points.points) >= 2, `chart has ${points.points} loss points`);
    assert.equal(Number(points.accuracyPoints), 1);
    assert.match(await page.textContent('#evaluation-summary'), /Accuracy \d+(\.\d)?% on the 8 held-out rows/);
    assert.equal(await page.locator('#confusion tbody tr').count(), 2);
    t.diagnostic(`training took ${trainingSeconds.toFixed(1)} s; largest main-thread timer gap ${largestGap.gap.toFixed(0)} ms over ${largestGap.ticks} ticks`);
    assert.ok(largestGap.ticks > 10, `the timer fired only ${largestGap.ticks} times`);
    assert.ok(largestGap.gap < 500, `the main thread stalled for ${largestGap.gap.toFixed(0)} ms during training`);

    // The new task is selected and classifies the sentence still in the text box.
    trainedTask = await page.inputValue('#task');
    assert.match(trainedTask, /^trained-/);
    await page.fill('#text', SENTENCE);
    beforeReload = await waitForPrediction(page, trainedTask, SENTENCE);
    assert.ok(['food', 'weather'].includes(beforeReload.label));
    await shot(page, 'trained');
  });

  await t.test('downloaded adapter matches after reload', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-button')]);
    assert.equal(download.suggestedFilename(), 'demo-test.safetensors');
    const saved = join(outputDir, 'demo-test.safetensors');
    await download.saveAs(saved);

    await page.reload();
    const state = await waitForModel(page);
    assert.equal(state.source, 'cache', state.message);
    assert.match(state.message, /from your browser's cache/);
    await shot(page, 'reloaded');

    await page.setInputFiles('#adapter-file', saved);
    await page.waitForFunction(() => document.getElementById('task').value.startsWith('file-'), null, { timeout: 30_000 });
    const loadedTask = await page.inputValue('#task');
    await page.fill('#text', SENTENCE);
    const afterReload = await waitForPrediction(page, loadedTask, SENTENCE);
    assert.equal(afterReload.label, beforeReload.label);
    assert.ok(Math.abs(afterReload.score - beforeReload.score) < 1e-4, `score ${afterReload.score} after the reload, ${beforeReload.score} before`);

    // The same file with one digit of the base fingerprint changed: an adapter of another base.
    const bytes = await readFile(saved);
    const header = bytes.toString('latin1', 8, 8 + Number(bytes.readBigUInt64LE(0)));
    const match = /fingerprint\\*":\\*"([0-9a-f]{32})/.exec(header);
    assert.ok(match, 'the adapter file names its base fingerprint');
    const at = 8 + match.index + match[0].length - 32;
    bytes[at] = bytes[at] === 0x30 ? 0x31 : 0x30;
    const otherBase = join(outputDir, 'other-base.safetensors');
    await writeFile(otherBase, bytes);
    await page.setInputFiles('#adapter-file', otherBase);
    await page.waitForSelector('#try-error:not([hidden])', { timeout: 30_000 });
    assert.match(await page.textContent('#try-error'), /other-base\.safetensors.*another base model.*\(INCOMPATIBLE\)/s);
    await shot(page, 'error', { fullPage: false });

    const weightDownloads = server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/model.safetensors'));
    assert.equal(weightDownloads.length, 1, `model.safetensors was fetched ${weightDownloads.length} times`);
    await shot(page, 'loaded-file');
  });

  await t.test('phone width has no side scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= 390, `page is ${widths.scroll} px wide at a 390 px viewport`);
    await shot(page, 'phone');
  });

  assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
  t.diagnostic(`adapters from ${adaptersOverride ? `ADAPTERKIT_DEMO_ADAPTERS=${adaptersOverride}` : 'demo/adapters/'}; ${((Date.now() - started) / 1000).toFixed(1)} s in the page`);
  await page.close();
});

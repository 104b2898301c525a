// Trains an adapter on a real task inside headless Chromium (in the page's training worker, the
// path a user's browser takes) with the demo adapters' recipe, and prints its test accuracy.
// Usage: node tools/train_in_chromium.mjs [--task trec6] [--datasets ../shared/datasets]
import { performance } from 'node:perf_hooks';

import { RECIPE, loadSplits } from './demo_adapters.mjs';
import { startStaticServer } from './static_server.mjs';
import { launchChromium } from '../wasm_tests/helpers/browser.mjs';

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const task = option('--task', 'trec6');
const datasets = option('--datasets', new URL('../../shared/datasets', import.meta.url).pathname);

const splits = await loadSplits(datasets, task);
const labels = [...new Set([...splits.train, ...splits.test].map((r) => r.label))].sort();
const server = await startStaticServer({ root: new URL('..', import.meta.url).pathname });
const browser = await launchChromium();
const started = performance.now();
try {
  const page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') process.stderr.write(`page: ${message.text()}\n`);
  });
  await page.goto(`${server.url}/wasm_tests/browser/blank.html`);
  await page.exposeFunction('reportEpoch', (event) => {
    process.stdout.write(`${task}: epoch ${event.epoch} train loss ${event.trainLoss.toFixed(4)} validation accuracy ${(event.validationAccuracy * 100).toFixed(2)}% (${event.examplesPerSecond.toFixed(1)} examples/s)\n`);
  });
  const result = await page.evaluate(
    async ({ task, labels, splits, recipe }) => {
      const { loadBaseModel } = await import('/web/index.js');
      const base = await loadBaseModel('/build/models/all-MiniLM-L6-v2/f16/');
      const adapter = base.createAdapter({ name: task, labels, ...recipe.adapter });
      const report = await adapter.train(splits.train, {
        ...recipe.training,
        validation: splits.validation,
        onProgress: (event) => event.type === 'epoch' && window.reportEpoch(event),
      });
      const scores = await adapter.evaluate(splits.test, { batchSize: 64, maxLength: recipe.training.maxLength });
      return { accuracy: scores.accuracy, count: scores.count, worker: report.worker === true, bestEpoch: report.bestEpoch, userAgent: navigator.userAgent };
    },
    { task, labels, splits, recipe: RECIPE },
  );
  process.stdout.write(
    `${task}: test accuracy ${(result.accuracy * 100).toFixed(2)}% on ${result.count} rows, trained in headless Chromium ` +
      `(${result.worker ? 'in a Web Worker' : 'on the page thread'}, best epoch ${result.bestEpoch}) in ${((performance.now() - started) / 1000).toFixed(0)} s\n` +
      `command: node tools/train_in_chromium.mjs --task ${task}\n`,
  );
} finally {
  await browser.close();
  await server.close();
}

// adapterkit as a user installs it: npm pack, install the tarball into an empty project, then
// use it from Node, type-check a TypeScript file against its types, and bundle a page with Vite
// that runs in headless Chromium with no path configuration for the .wasm.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { startStaticServer } from '../tools/static_server.mjs';
import { collectPageErrors, launchChromium } from './helpers/browser.mjs';
import { modelFolder } from './helpers/golden.mjs';

const run = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
let project;

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'adapterkit-user-'));
  const { stdout } = await run('npm', ['pack', '--pack-destination', project, '--silent'], { cwd: repoRoot });
  const tarball = stdout.trim().split('\n').at(-1);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', `./${tarball}`], { cwd: project });
});

after(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

test('installed package contains only what users need', async () => {
  const files = await readdir(join(project, 'node_modules', 'adapterkit'), { recursive: true });
  assert.ok(files.includes('dist/adapterkit.wasm'));
  assert.ok(files.includes('dist/adapterkit.mjs'));
  assert.ok(files.includes('web/index.d.ts'));
  assert.ok(files.includes('LICENSE'));
  assert.ok(!files.some((f) => f.startsWith('src') || f.startsWith('wasm_tests') || f.startsWith('build')), files.join(', '));
});

test('installed package runs in Node', async () => {
  const script = `
    import { loadBaseModel } from 'adapterkit';
    const base = await loadBaseModel(${JSON.stringify(modelFolder('tiny-f32'))});
    const adapter = base.createAdapter({ labels: ['a', 'b'], size: 4 });
    const prediction = await adapter.classify('hello world');
    console.log(JSON.stringify({ label: prediction.label, hidden: base.config.hiddenSize }));
  `;
  await writeFile(join(project, 'use.mjs'), script);
  const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project });
  const result = JSON.parse(stdout.trim());
  assert.equal(result.hidden, 32);
  assert.ok(['a', 'b'].includes(result.label));
});

test('installed package types check', async () => {
  const source = `
    import { loadBaseModel, AdapterkitError, type Prediction } from 'adapterkit';
    async function main(): Promise<string> {
      const base = await loadBaseModel('/model/', { onProgress: (e) => void e.loaded, cache: false });
      const adapter = base.createAdapter({ labels: ['a', 'b'], size: 4, layers: { top: 1 } });
      const report = await adapter.train([{ text: 'x', label: 'a' }], { epochs: 1, signal: new AbortController().signal });
      const one: Prediction = await adapter.classify('hello');
      const many: Prediction[] = await adapter.classify(['hello']);
      const bytes: Uint8Array = adapter.toBytes({ dtype: 'f16' });
      return one.label + many.length + bytes.length + report.stopped;
    }
    main().catch((error: unknown) => { if (error instanceof AdapterkitError) void error.code; });
  `;
  await writeFile(join(project, 'use.ts'), source);
  await run(bin('tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom', 'use.ts'], { cwd: project });
});

test('Vite bundle finds the wasm in chromium', async () => {
  const app = join(project, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>user app</title></head><body><script type="module" src="./main.js"></script></body></html>');
  await writeFile(join(app, 'main.js'), `
    import { loadBaseModel } from 'adapterkit';
    try {
      const base = await loadBaseModel('./model/');
      const adapter = base.createAdapter({ labels: ['a', 'b'], size: 4 });
      const prediction = await adapter.classify('hello world');
      window.userResult = { label: prediction.label };
    } catch (error) {
      window.userResult = { error: error.message };
    }
  `);
  await writeFile(join(app, 'vite.config.mjs'), 'export default { worker: { format: "es" }, build: { target: "es2022" }, logLevel: "error" };');
  await run(bin('vite'), ['build', '--config', 'vite.config.mjs'], { cwd: app });
  const dist = join(app, 'dist');
  await cp(modelFolder('tiny-f32'), join(dist, 'model'), { recursive: true });
  const server = await startStaticServer({ root: dist });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.userResult !== undefined, null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.userResult);
    assert.equal(result.error, undefined, `${result.error}\n${errors.join('\n')}`);
    assert.ok(['a', 'b'].includes(result.label));
    assert.ok(server.requests.some((r) => /^\/assets\/adapterkit-[\w-]+\.wasm$/.test(r.path)), server.requests.map((r) => r.path).join(', '));
  } finally {
    await browser.close();
    await server.close();
  }
});

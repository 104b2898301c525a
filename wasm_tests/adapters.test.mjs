// Adapters on a base model: near-identity start, file round trip, bad files, integrity,
// eviction and several tasks in one batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';
import { ErrorCode } from '../web/errors.js';
import { modelFolder } from './helpers/golden.mjs';
import { editHeader, splitSafetensors } from './helpers/safetensors.mjs';
import { sha256Hex } from '../web/sha256.js';

const TEXTS = ['The museum opens at nine.', 'Why did the ship turn back?', 'Hello, world!'];
const base = await loadBaseModel(modelFolder('tiny-f32'));

function maxDifference(a, b) {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Returns an adapter file with non-zero weights everywhere: a fresh adapter plus seeded noise. */
function perturbedAdapterBytes(adapter, seed = 1) {
  const bytes = adapter.toBytes({ dtype: 'f32' });
  const dataStart = bytes.length - splitSafetensors(bytes).data.length;
  const floats = new Float32Array(bytes.slice(dataStart).buffer);
  let state = seed;
  for (let i = 0; i < floats.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    floats[i] += ((state >>> 8) / (1 << 24) - 0.5) * 0.2;
  }
  const out = bytes.slice();
  out.set(new Uint8Array(floats.buffer), dataStart);
  return out;
}

test('fresh adapter leaves base outputs unchanged', async () => {
  for (const headInput of ['pooler', 'cls', 'mean']) {
    const adapter = base.createAdapter({ labels: ['a', 'b'], size: 8, headInput, seed: 3 });
    const outputs = ['lastHiddenState', 'poolerOutput'];
    const withAdapter = await adapter.embed(TEXTS, { outputs });
    const alone = await base.embed(TEXTS, { outputs });
    assert.ok(maxDifference(withAdapter.poolerOutput.data, alone.poolerOutput.data) <= 1e-6);
    assert.ok(maxDifference(withAdapter.lastHiddenState.data, alone.lastHiddenState.data) <= 1e-6);
    adapter.dispose();
  }
});

test('perturbed adapter changes base outputs', async () => {
  const fresh = base.createAdapter({ labels: ['a', 'b'], size: 8 });
  const adapter = await base.loadAdapter(perturbedAdapterBytes(fresh));
  const withAdapter = await adapter.embed(TEXTS, { outputs: ['poolerOutput'] });
  const alone = await base.embed(TEXTS, { outputs: ['poolerOutput'] });
  assert.ok(maxDifference(withAdapter.poolerOutput.data, alone.poolerOutput.data) > 1e-3);
  fresh.dispose();
  adapter.dispose();
});

test('adapter file round trip f32 exact', async () => {
  const fresh = base.createAdapter({ labels: ['neg', 'pos'], size: 8, name: 'sentiment' });
  const adapter = await base.loadAdapter(perturbedAdapterBytes(fresh));
  const reloaded = await base.loadAdapter(adapter.toBytes({ dtype: 'f32' }));
  const a = await adapter.classify(TEXTS);
  const b = await reloaded.classify(TEXTS);
  a.forEach((prediction, i) => assert.deepEqual(prediction.logits, b[i].logits));
  assert.equal(reloaded.name, 'sentiment');
  assert.deepEqual(reloaded.labels, ['neg', 'pos']);
  for (const x of [fresh, adapter, reloaded]) x.dispose();
});

test('adapter file round trip f16 close', async () => {
  const fresh = base.createAdapter({ labels: ['neg', 'pos'], size: 8 });
  const adapter = await base.loadAdapter(perturbedAdapterBytes(fresh));
  const half = adapter.toBytes({ dtype: 'f16' });
  const full = adapter.toBytes({ dtype: 'f32' });
  assert.equal(splitSafetensors(half).data.length * 2, splitSafetensors(full).data.length);
  const reloaded = await base.loadAdapter(half);
  const a = await adapter.classify(TEXTS);
  const b = await reloaded.classify(TEXTS);
  // f16 weights hold about 3 significant digits.
  a.forEach((prediction, i) => assert.ok(maxDifference(prediction.logits, b[i].logits) < 2e-2));
  for (const x of [fresh, adapter, reloaded]) x.dispose();
});

test('adapter predictions have labels and probabilities', async () => {
  const adapter = base.createAdapter({ labels: ['x', 'y', 'z'], size: 4, headLayers: 2 });
  const single = await adapter.classify('Hello');
  assert.ok(['x', 'y', 'z'].includes(single.label));
  const total = Object.values(single.scores).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-6);
  assert.equal(single.score, Math.max(...Object.values(single.scores)));
  const many = await adapter.classify(TEXTS, { batchSize: 2 });
  assert.equal(many.length, TEXTS.length);
  const pairs = await adapter.classify(['Is it open?'], { pairs: ['It opens at nine.'] });
  assert.equal(pairs.length, 1);
  assert.deepEqual(await adapter.classify([]), []);
  adapter.dispose();
});

test('classifyAll equals separate classify', async () => {
  const fresh = [0, 1, 2, 3].map((i) => base.createAdapter({ labels: ['a', 'b', 'c'].slice(0, 2 + (i % 2)), size: 4 + i, seed: i, name: `task${i}` }));
  const adapters = await Promise.all(fresh.map((f, i) => base.loadAdapter(perturbedAdapterBytes(f, i + 10))));
  const together = await base.classifyAll(TEXTS[1], adapters);
  for (let i = 0; i < adapters.length; i++) {
    const alone = await adapters[i].classify(TEXTS[1]);
    assert.equal(together[i].adapter, `task${i}`);
    assert.ok(maxDifference(together[i].logits, alone.logits) <= 1e-6, `task ${i}`);
  }
  for (const x of [...fresh, ...adapters]) x.dispose();
});

test('adapter of another base rejected', async () => {
  const other = await loadBaseModel(modelFolder('small-f32'));
  const foreign = other.createAdapter({ labels: ['a', 'b'], size: 4 }).toBytes();
  await assert.rejects(base.loadAdapter(foreign, { fileName: 'foreign.safetensors' }), (error) => {
    assert.equal(error.code, ErrorCode.INCOMPATIBLE);
    assert.match(error.message, /foreign\.safetensors: adapter 'adapter' was trained on another base model/);
    assert.match(error.message, /hidden 64, 3 layers/);
    return true;
  });
  other.dispose();
});

test('bad adapter files rejected, base keeps working', async () => {
  const good = base.createAdapter({ labels: ['a', 'b'], size: 8 });
  const bytes = good.toBytes();
  const firstTensor = Object.keys(splitSafetensors(bytes).header).find((k) => k !== '__metadata__');
  const editConfig = (edit) =>
    editHeader(bytes, (h) => {
      const config = JSON.parse(h.__metadata__.adapterkit);
      edit(config);
      h.__metadata__.adapterkit = JSON.stringify(config);
    });
  const cases = [
    ['truncated', bytes.subarray(0, bytes.length - 100), ErrorCode.INVALID_FILE, /fall outside the \d+-byte data section/],
    ['not an adapter', editHeader(bytes, (h) => delete h.__metadata__.format), ErrorCode.INVALID_FILE, /not an adapterkit adapter file/],
    ['tensor missing', editHeader(bytes, (h) => delete h[firstTensor]), ErrorCode.INVALID_FILE, new RegExp(`tensor '${firstTensor.replaceAll('.', '\\.')}' is missing`)],
    ['wrong shape', editHeader(bytes, (h) => { h[firstTensor].shape = [h[firstTensor].shape[1], h[firstTensor].shape[0]]; }), ErrorCode.INVALID_FILE, /has shape \[32, 8\], expected \[8, 32\]/],
    ['size disagrees with tensors', editConfig((c) => { c.adapter.size = 16; }), ErrorCode.INVALID_FILE, /expected \[16, 32\]/],
    ['unknown activation', editConfig((c) => { c.adapter.nonLinearity = 'softplus'; }), ErrorCode.INVALID_FILE, /adapter\.nonLinearity is 'softplus'; expected relu, gelu, swish/],
    ['one label', editConfig((c) => { c.head.labels = ['only']; }), ErrorCode.INVALID_FILE, /head\.labels' must be an array of at least two label names/],
    ['layer out of range', editConfig((c) => { c.adapter.layers = [0, 7]; }), ErrorCode.INVALID_FILE, /adapter\.layers contains 7\.0+, expected integers in 0\.\.1/],
    ['future version', editConfig((c) => { c.version = 99; }), ErrorCode.INVALID_FILE, /adapter format version 99 is not supported/],
    ['unexpected tensor', editHeader(bytes, (h) => { h['extra.weight'] = { ...h[firstTensor] }; }), ErrorCode.INVALID_FILE, /overlap|unexpected tensor 'extra\.weight'/],
  ];
  for (const [name, file, code, pattern] of cases) {
    await assert.rejects(base.loadAdapter(file, { fileName: 'bad.safetensors' }), (error) => {
      assert.equal(error.code, code, `${name}: ${error.message}`);
      assert.match(error.message, pattern, name);
      return true;
    }, name);
  }
  const prediction = await good.classify('still working');
  assert.equal(prediction.logits.length, 2);
  assert.ok(prediction.logits.every(Number.isFinite));
  good.dispose();
});

test('integrity mismatch rejected', async () => {
  const adapter = base.createAdapter({ labels: ['a', 'b'], size: 4 });
  const bytes = adapter.toBytes();
  const digest = await sha256Hex(bytes);
  const loaded = await base.loadAdapter(bytes, { integrity: digest });
  assert.equal(loaded.labels.length, 2);
  const altered = bytes.slice();
  altered[altered.length - 1] ^= 1;
  await assert.rejects(base.loadAdapter(altered, { integrity: digest, fileName: 'altered.safetensors' }), (error) => {
    assert.equal(error.code, ErrorCode.INTEGRITY);
    assert.match(error.message, new RegExp(`altered\\.safetensors has sha256 [0-9a-f]{64}, expected ${digest}`));
    return true;
  });
  const sri = `sha256-${Buffer.from(digest, 'hex').toString('base64')}`;
  assert.equal((await base.loadAdapter(bytes, { integrity: sri })).labels.length, 2);
  adapter.dispose();
});

test('evicted adapters come back on use', async () => {
  const small = await loadBaseModel(modelFolder('tiny-f32'), { maxLoadedAdapters: 2 });
  const fresh = [0, 1, 2].map((i) => small.createAdapter({ labels: ['a', 'b'], size: 4, seed: i }));
  const loaded = [];
  for (let i = 0; i < 3; i++) loaded.push(await small.loadAdapter(perturbedAdapterBytes(fresh[i], i + 20)));
  const before = await loaded[0].classify('eviction check');
  assert.equal(loaded.filter((a) => a._handle !== null).length, 2);
  for (const adapter of loaded) await adapter.classify('another text');
  const after = await loaded[0].classify('eviction check');
  assert.deepEqual(after.logits, before.logits);
  small.dispose();
  await assert.rejects(loaded[0].classify('x'), (error) => error.code === ErrorCode.INVALID_STATE);
});

test('createAdapter rejects bad options', () => {
  assert.throws(() => base.createAdapter({ labels: ['a'] }), /head\.labels' must be an array of at least two/);
  assert.throws(() => base.createAdapter({ labels: ['a', 'a'] }), /head\.labels contains 'a' twice/);
  assert.throws(() => base.createAdapter({ labels: ['a', 'b'], size: 1000 }), /adapter\.size must be an integer in 0\.\.32/);
  assert.throws(() => base.createAdapter({ labels: ['a', 'b'], colour: 'red' }), /createAdapter has no option 'colour'/);
  assert.throws(() => base.createAdapter({ labels: ['a', 'b'], name: 'a b' }), /adapter name 'a b' may only contain/);
});

test('adapter placement counts parameters', () => {
  const H = 32;
  const m = 8;
  const all = base.createAdapter({ labels: ['a', 'b'], size: m, layerNorm: false });
  const top = base.createAdapter({ labels: ['a', 'b'], size: m, layers: { top: 1 }, layerNorm: false });
  const perAdapter = 2 * m * H + H + m; // 2md + d + m
  const head = 2 * H + 2;
  assert.equal(all.parameterCount, 2 * 2 * perAdapter + head);
  assert.equal(top.parameterCount, 2 * perAdapter + head);
  const withNorms = base.createAdapter({ labels: ['a', 'b'], size: m });
  assert.equal(withNorms.parameterCount, all.parameterCount + 2 * 2 * 2 * H);
});

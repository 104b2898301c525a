// Training against PyTorch autograd (tools/reference/golden_training.py writes the golden
// files), finite differences, the AdamW trajectory, and the training API's data checks.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';
import { ErrorCode, unwrapWasmResult } from '../web/errors.js';
import { decodeTensor, FIXTURES, modelFolder } from './helpers/golden.mjs';
import { splitSafetensors } from './helpers/safetensors.mjs';

const CASES = ['tiny-pooler-ln', 'odd-cls-top1', 'small-mean-gelu'];
// f32 against a float64 reference: relative 1e-3, or absolute 1e-5 where values are tiny.
const RELATIVE = 1e-3;
const ABSOLUTE = 1e-5;
const TRAJECTORY_TOLERANCE = 1e-4;

async function readCase(name) {
  const spec = JSON.parse(await readFile(new URL(`training/${name}.case.json`, FIXTURES), 'utf8'));
  const golden = JSON.parse(await readFile(new URL(`training/${name}.golden.json`, FIXTURES), 'utf8'));
  const bytes = new Uint8Array(await readFile(new URL(`training/${name}.safetensors`, FIXTURES)));
  return { spec, golden, bytes };
}

function trainerFor(base, adapter, options = {}) {
  return unwrapWasmResult(
    base._module.trainerCreate(adapter._ensureHandle(), {
      weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, maxGradNorm: 1.0, recompute: false, ...options,
    }),
  );
}

function batchOf(base, golden) {
  return base.padBatch(golden.inputIds.map((row) => row.filter((id, i) => i === 0 || id !== base.tokenizer.padId)));
}

for (const name of CASES) {
  const { spec, golden, bytes } = await readCase(name);
  const base = await loadBaseModel(modelFolder(spec.model));
  await base.enableTraining();

  for (const recompute of [false, true]) {
    test(`gradients ${name}${recompute ? ' recompute' : ''} match autograd`, async () => {
      const adapter = await base.loadAdapter(bytes);
      const trainer = trainerFor(base, adapter, { recompute });
      const batch = batchOf(base, golden);
      const weights = golden.classWeights ? Float32Array.from(golden.classWeights) : null;
      const result = unwrapWasmResult(
        base._module.trainerGradients(trainer, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, Int32Array.from(golden.labels), weights),
      );
      base._module.trainerDelete(trainer);
      assert.ok(Math.abs(result.loss - golden.initialLoss) < 1e-5, `loss ${result.loss} vs ${golden.initialLoss}`);
      assert.deepEqual(result.gradients.map((g) => g.name).sort(), Object.keys(golden.gradients).sort());
      for (const gradient of result.gradients) {
        const expected = decodeTensor({ ...golden.gradients[gradient.name], dtype: 'float32' });
        let worst = 0;
        for (let i = 0; i < expected.length; i++) {
          const difference = Math.abs(gradient.data[i] - expected[i]);
          if (difference > ABSOLUTE) worst = Math.max(worst, difference / Math.abs(expected[i]));
        }
        assert.ok(worst <= RELATIVE, `${gradient.name}: max relative difference ${worst}`);
      }
      adapter.dispose();
    });
  }

  test(`AdamW trajectory ${name} matches torch`, async () => {
    const adapter = await base.loadAdapter(bytes);
    const h = golden.hyperparameters;
    const trainer = trainerFor(base, adapter, { weightDecay: h.weightDecay, maxGradNorm: h.maxGradNorm });
    const batch = batchOf(base, golden);
    const weights = golden.classWeights ? Float32Array.from(golden.classWeights) : null;
    const losses = [];
    for (let step = 0; step < golden.losses.length; step++) {
      const result = unwrapWasmResult(
        base._module.trainerStep(trainer, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, Int32Array.from(golden.labels), weights, h.lr),
      );
      losses.push(result.loss);
    }
    base._module.trainerDelete(trainer);
    losses.forEach((loss, step) => {
      assert.ok(Math.abs(loss - golden.losses[step]) <= TRAJECTORY_TOLERANCE, `step ${step}: loss ${loss} vs ${golden.losses[step]}`);
    });
    assert.ok(losses.at(-1) < losses[0] * 0.8, 'the loss went down');
    adapter.dispose();
  });
}

test('gradients match finite differences', async () => {
  const { bytes, golden } = await readCase('tiny-pooler-ln');
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  await base.enableTraining();
  const dataStart = bytes.length - splitSafetensors(bytes).data.length;
  const { header } = splitSafetensors(bytes);
  const floats = new Float32Array(bytes.slice(dataStart).buffer);
  const batch = batchOf(base, golden);
  const labels = Int32Array.from(golden.labels);
  const lossAt = async (values) => {
    const file = bytes.slice();
    file.set(new Uint8Array(values.buffer), dataStart);
    const adapter = await base.loadAdapter(file);
    const trainer = trainerFor(base, adapter);
    const result = unwrapWasmResult(base._module.trainerGradients(trainer, batch.inputIds, batch.tokenTypeIds, batch.lengths, batch.batchSize, batch.sequenceLength, labels, null));
    base._module.trainerDelete(trainer);
    adapter.dispose();
    return result;
  };
  const analytic = await lossAt(floats);
  // Central differences in f32 with step 1e-2: truncation and rounding allow about 1% here.
  for (const gradient of analytic.gradients) {
    const offset = header[gradient.name].data_offsets[0] / 4;
    for (const i of [0, Math.floor(gradient.data.length / 2)]) {
      const plus = floats.slice();
      plus[offset + i] += 1e-2;
      const minus = floats.slice();
      minus[offset + i] -= 1e-2;
      const numeric = ((await lossAt(plus)).loss - (await lossAt(minus)).loss) / 2e-2;
      const scale = Math.max(1e-3, Math.abs(numeric) + Math.abs(gradient.data[i]));
      assert.ok(Math.abs(numeric - gradient.data[i]) / scale < 0.02, `${gradient.name}[${i}]: analytic ${gradient.data[i]} vs numeric ${numeric}`);
    }
  }
  base.dispose();
});

// A toy task the tiny model can learn: does the text mention a museum or a ship?
const TOY = [];
for (let i = 0; i < 24; i++) {
  TOY.push({ text: `the museum opens at ${i} and closes late`, label: 'museum' });
  TOY.push({ text: `why did the ship ${i} turn back at sea`, label: 'ship' });
}

test('train learns toy task', async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  const adapter = base.createAdapter({ labels: ['museum', 'ship'], size: 4 });
  const before = await adapter.evaluate(TOY);
  const events = [];
  const report = await adapter.train(TOY, { epochs: 4, batchSize: 8, learningRate: 1e-2, validation: 0.25, onProgress: (e) => events.push(e) });
  const after = await adapter.evaluate(TOY);
  assert.equal(report.stopped, 'completed');
  assert.equal(report.epochs, 4);
  assert.ok(after.accuracy >= 0.95, `accuracy ${after.accuracy} (before ${before.accuracy})`);
  assert.ok(events.some((e) => e.type === 'step' && e.loss > 0 && e.examplesPerSecond > 0));
  assert.equal(events.filter((e) => e.type === 'epoch').length, 4);
  assert.ok(events.filter((e) => e.type === 'epoch').every((e) => typeof e.validationAccuracy === 'number'));
  assert.equal(after.confusionMatrix.length, 2);
  assert.equal(after.count, TOY.length);
  base.dispose();
});

test('train same seed same adapter', async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  const run = async () => {
    const adapter = base.createAdapter({ labels: ['museum', 'ship'], size: 4, seed: 5 });
    await adapter.train(TOY, { epochs: 1, batchSize: 8, seed: 9, validation: 0 });
    return adapter.toBytes({ dtype: 'f32' });
  };
  assert.deepEqual(await run(), await run());
  base.dispose();
});

test('train cancelled keeps last good adapter', async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  const adapter = base.createAdapter({ labels: ['museum', 'ship'], size: 4 });
  const controller = new AbortController();
  const report = await adapter.train(TOY, {
    epochs: 3, batchSize: 8, validation: 0.25, signal: controller.signal,
    onProgress: (e) => { if (e.type === 'epoch' && e.epoch === 2) controller.abort(); },
  });
  assert.equal(report.stopped, 'cancelled');
  assert.equal(report.epochs, 2);
  assert.ok(report.bestEpoch === 1 || report.bestEpoch === 2);
  const prediction = await adapter.classify('the museum opens at 3');
  assert.ok(prediction.logits.every(Number.isFinite));
  base.dispose();
});

test('train rejects bad data with row', async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  const adapter = base.createAdapter({ labels: ['museum', 'ship'], size: 4 });
  const cases = [
    [[...TOY.slice(0, 10), { text: 'a boat', label: 'boat' }], /training data row 10: unknown label "boat"; expected one of "museum", "ship"/],
    [[...TOY.slice(0, 10), { text: '   ', label: 'ship' }], /training data row 10: text is empty/],
    [[...TOY.slice(0, 10), { text: 'a ship', label: 1 }], /training data row 10: label is the number 1, but this adapter's labels are names/],
    [TOY.filter((e) => e.label === 'ship'), /training data has 1 class \(ship\); at least two different labels are needed/],
    [TOY.slice(0, 6), /training data has 6 examples, fewer than one batch of 16/],
    [[{ text: null, label: 'ship' }], /training data row 0: text must be a string, got null/],
  ];
  for (const [examples, pattern] of cases) {
    await assert.rejects(adapter.train(examples, { validation: 0 }), (error) => {
      assert.equal(error.code, ErrorCode.INVALID_ARGUMENT);
      assert.match(error.message, pattern);
      return true;
    });
  }
  await assert.rejects(adapter.train(TOY, { learningRate: -1 }), /learningRate must be a positive number/);
  await assert.rejects(adapter.train(TOY, { epoch: 2 }), /train has no option 'epoch'/);
  base.dispose();
});

test('train balanced class weights', async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  const adapter = base.createAdapter({ labels: ['museum', 'ship'], size: 4 });
  const unbalanced = [...TOY.filter((e) => e.label === 'museum'), ...TOY.filter((e) => e.label === 'ship').slice(0, 6)];
  const report = await adapter.train(unbalanced, { epochs: 4, batchSize: 6, learningRate: 1e-2, classWeights: 'balanced', validation: 0 });
  const scores = await adapter.evaluate(TOY);
  assert.equal(report.stopped, 'completed');
  assert.ok(scores.perClass.ship.recall >= 0.75, `ship recall ${scores.perClass.ship.recall}`);
  base.dispose();
});

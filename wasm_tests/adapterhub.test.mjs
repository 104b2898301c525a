// Adapters saved by AdapterHub's `adapters` library (tools/reference/golden_adapters.py) give
// the same logits in adapterkit, and adapterkit's AdapterHub export converts back unchanged.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { exportAdapterHub, importAdapterHub } from '../web/adapterhub.js';
import { loadBaseModel } from '../web/base_model.js';
import { ErrorCode } from '../web/errors.js';
import { FIXTURES, modelFolder } from './helpers/golden.mjs';

const CASES = ['tiny-houlsby-m8', 'tiny-top1-m4-relu', 'small-m16-gelu-pooler', 'odd-m6-tanh', 'tiny-houlsby-m8-ln'];
// f32 against a float64 reference.
const TOLERANCE = 1e-4;

async function readHubFolder(name) {
  const read = async (file) => new Uint8Array(await readFile(new URL(`adapterhub/${name}/${file}`, FIXTURES)));
  const json = async (file) => JSON.parse(new TextDecoder().decode(await read(file)));
  const golden = await json('golden.json');
  return {
    golden,
    files: {
      adapterConfig: await json('adapter_config.json'),
      adapterWeights: await read('adapter.safetensors'),
      headConfig: await json('head_config.json'),
      headWeights: await read('model_head.safetensors'),
      layerNorms: golden.perTaskLayerNorms ? await read('layer_norms.safetensors') : undefined,
    },
  };
}

async function logitsFor(adapter, goldenCase) {
  const results = await adapter.classify(goldenCase.texts, { pairs: goldenCase.pairs, maxLength: goldenCase.maxLength });
  return results.map((r) => [...r.logits]);
}

for (const name of CASES) {
  test(`AdapterHub import ${name} matches logits`, async () => {
    const { golden, files } = await readHubFolder(name);
    const base = await loadBaseModel(modelFolder(golden.model));
    const adapter = await importAdapterHub(base, files);
    assert.deepEqual(adapter.labels, golden.labels);
    assert.equal(adapter.config.adapter.size, golden.size);
    for (const goldenCase of golden.cases) {
      const logits = await logitsFor(adapter, goldenCase);
      logits.forEach((row, b) => {
        row.forEach((value, c) => {
          assert.ok(Math.abs(value - goldenCase.logits[b][c]) <= TOLERANCE, `${goldenCase.name} row ${b} class ${c}: ${value} vs ${goldenCase.logits[b][c]}`);
        });
      });
    }
    base.dispose();
  });
}

test('AdapterHub export round trip', async () => {
  const { golden, files } = await readHubFolder('tiny-houlsby-m8');
  const base = await loadBaseModel(modelFolder(golden.model));
  const adapter = await importAdapterHub(base, files);
  const exported = exportAdapterHub(adapter);
  const config = JSON.parse(exported['adapter_config.json']);
  assert.equal(config.config.reduction_factor, 4);
  assert.deepEqual(config.config.leave_out, []);
  const again = await importAdapterHub(base, {
    adapterConfig: config,
    adapterWeights: exported['adapter.safetensors'],
    headConfig: JSON.parse(exported['head_config.json']),
    headWeights: exported['model_head.safetensors'],
  });
  const goldenCase = golden.cases[0];
  assert.deepEqual(await logitsFor(again, goldenCase), await logitsFor(adapter, goldenCase));
  base.dispose();
});

test('AdapterHub export rejects layer norms', async () => {
  const base = await loadBaseModel(modelFolder('tiny-f32'));
  const adapter = base.createAdapter({ labels: ['a', 'b'], size: 4 });
  assert.throws(() => exportAdapterHub(adapter), (error) => {
    assert.equal(error.code, ErrorCode.INCOMPATIBLE);
    assert.match(error.message, /trains per-task layer norms/);
    return true;
  });
  const mean = base.createAdapter({ labels: ['a', 'b'], size: 4, layerNorm: false, headInput: 'mean' });
  assert.throws(() => exportAdapterHub(mean), /head on the mean output/);
  base.dispose();
});

test('AdapterHub import rejects other configs', async () => {
  const { golden, files } = await readHubFolder('tiny-houlsby-m8');
  const base = await loadBaseModel(modelFolder(golden.model));
  const variants = [
    [{ is_parallel: true }, /config\.is_parallel is true, expected false/],
    [{ use_gating: true }, /config\.use_gating is true/],
    [{ scaling: 2 }, /config\.scaling is 2, expected 1/],
    [{ non_linearity: 'leakyrelu' }, /config\.non_linearity is "leakyrelu"/],
    [{ original_ln_before: true }, /config\.original_ln_before is true/],
  ];
  for (const [change, pattern] of variants) {
    const adapterConfig = structuredClone(files.adapterConfig);
    Object.assign(adapterConfig.config, change);
    await assert.rejects(importAdapterHub(base, { ...files, adapterConfig }), (error) => {
      assert.equal(error.code, ErrorCode.INCOMPATIBLE);
      assert.match(error.message, pattern);
      return true;
    });
  }
  base.dispose();
});

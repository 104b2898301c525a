// The encoder against Hugging Face transformers' BertModel, run in float64 on the same
// safetensors files (tools/reference/golden_encoder.py writes the golden files).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';
import { decodeTensor, modelFolder, readGolden } from './helpers/golden.mjs';

// f32 computation against a float64 reference on the same weights.
const TOLERANCE = 1e-4;
const MODELS = ['tiny-f32', 'tiny-f16', 'tiny-bf16', 'small-f32', 'odd-f32', 'small-relu-f32'];

/** Largest |ours - golden| over the real (unpadded) tokens of a [B, T, H] pair of tensors. */
function hiddenDifference(ours, oursT, golden, goldenT, lengths, H) {
  let max = 0;
  lengths.forEach((length, b) => {
    for (let t = 0; t < length; t++) {
      for (let i = 0; i < H; i++) {
        const d = Math.abs(ours[(b * oursT + t) * H + i] - golden[(b * goldenT + t) * H + i]);
        if (!(d <= max)) max = d;
      }
    }
  });
  return max;
}

function maxDifference(a, b) {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = d;
  }
  return max;
}

for (const name of MODELS) {
  const golden = await readGolden(name);
  const model = await loadBaseModel(modelFolder(name));
  const H = model.config.hiddenSize;
  const results = new Map();

  for (const goldenCase of golden.cases) {
    test(`encoder ${name} ${goldenCase.name}`, async () => {
      const result = await model.embed(goldenCase.texts, {
        pairs: goldenCase.pairs,
        maxLength: goldenCase.maxLength,
        outputs: ['lastHiddenState', 'poolerOutput'],
      });
      results.set(goldenCase.name, result);
      const [B, T] = result.dims;
      const goldenT = goldenCase.lastHiddenState.shape[1];

      // the tokenizer gives the reference's ids, token types and truncation flags
      const lengths = goldenCase.attentionMask.map((row) => row.reduce((a, v) => a + v, 0));
      assert.deepEqual([...result.lengths], lengths);
      assert.deepEqual(result.truncated, goldenCase.truncated);
      for (let b = 0; b < B; b++) {
        assert.deepEqual([...result.inputIds.subarray(b * T, b * T + lengths[b])], goldenCase.inputIds[b].slice(0, lengths[b]));
      }

      const hidden = hiddenDifference(result.lastHiddenState.data, T, decodeTensor(goldenCase.lastHiddenState), goldenT, lengths, H);
      assert.ok(hidden <= TOLERANCE, `last hidden state max |difference| ${hidden} > ${TOLERANCE}`);
      const pooled = maxDifference(result.poolerOutput.data, decodeTensor(goldenCase.poolerOutput));
      assert.ok(pooled <= TOLERANCE, `pooler output max |difference| ${pooled} > ${TOLERANCE}`);

      // zeros at padding positions
      for (let b = 0; b < B; b++) {
        const padding = result.lastHiddenState.data.subarray((b * T + lengths[b]) * H, (b + 1) * T * H);
        assert.ok(padding.every((v) => v === 0), `row ${b} has non-zero padding`);
      }
    });
  }

  // Packed tokens make a padded row compute exactly what it computes alone.
  for (const prefix of ['batch4', 'pairs3']) {
    const batchName = golden.cases.find((c) => c.name.startsWith(prefix) && c.name.endsWith('padded'))?.name;
    test(`encoder ${name} ${prefix} rows equal solo runs`, () => {
      const batch = results.get(batchName);
      assert.ok(batch, `case ${batchName} did not run`);
      const [B, T] = batch.dims;
      for (let b = 0; b < B; b++) {
        const solo = results.get(`${prefix}-row${b}-alone`);
        assert.ok(solo, `case ${prefix}-row${b}-alone did not run`);
        const length = batch.lengths[b];
        assert.equal(solo.lengths[0], length);
        const rowHidden = batch.lastHiddenState.data.subarray(b * T * H, (b * T + length) * H);
        const soloHidden = solo.lastHiddenState.data.subarray(0, length * H);
        assert.equal(maxDifference(rowHidden, soloHidden), 0, `row ${b} hidden states differ from its solo run`);
        const rowPooled = batch.poolerOutput.data.subarray(b * H, (b + 1) * H);
        assert.equal(maxDifference(rowPooled, solo.poolerOutput.data), 0, `row ${b} pooled output differs`);
      }
    });
  }
}

test('encoder embedIds matches embed', async () => {
  const model = await loadBaseModel(modelFolder('tiny-f32'));
  const viaText = await model.embed(['Hello, world!', 'Why?'], { outputs: ['lastHiddenState'] });
  const [B, T] = viaText.dims;
  const rows = [];
  for (let b = 0; b < B; b++) rows.push([...viaText.inputIds.subarray(b * T, b * T + viaText.lengths[b])]);
  const viaIds = await model.embedIds(rows, { outputs: ['lastHiddenState'] });
  assert.equal(maxDifference(viaIds.lastHiddenState.data, viaText.lastHiddenState.data), 0);
  model.dispose();
});

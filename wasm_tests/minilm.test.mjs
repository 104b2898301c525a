// The default base model, all-MiniLM-L6-v2 (obtained by tools/setup_model.sh), against
// transformers on the same files: sentence embeddings of 250 real sentences.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';
import { decodeTensor, readGolden } from './helpers/golden.mjs';

const MODELS = new URL('../build/models/all-MiniLM-L6-v2/', import.meta.url).pathname;
const golden = await readGolden('minilm');

function maxRowDifference(ours, reference, rows, width) {
  let max = 0;
  for (let i = 0; i < rows * width; i++) max = Math.max(max, Math.abs(ours[i] - reference[i]));
  return max;
}

async function embedAll(model) {
  const H = model.config.hiddenSize;
  const out = new Float32Array(golden.inputIds.length * H);
  for (let start = 0; start < golden.inputIds.length; start += 32) {
    const rows = golden.inputIds.slice(start, start + 32);
    const result = await model.embedIds(rows, { outputs: ['sentenceEmbedding'] });
    out.set(result.sentenceEmbedding.data, start * H);
  }
  return out;
}

test('MiniLM model folder present', () => {
  assert.ok(existsSync(`${MODELS}f16/model.safetensors`), `run 'bash tools/setup.sh' to create ${MODELS}`);
});

for (const dtype of ['f32', 'f16']) {
  test(`MiniLM ${dtype} sentence embeddings match transformers`, async () => {
    const model = await loadBaseModel(`${MODELS}${dtype}`);
    assert.deepEqual(model.pooling, { mode: 'mean', normalize: true, source: 'modules.json + Pooling config' });
    assert.equal(model.maxLength, 256);
    const ours = await embedAll(model);
    const rows = golden.inputIds.length;
    // Same file on both sides: f32 arithmetic against a float64 reference.
    const sameFile = maxRowDifference(ours, decodeTensor(golden[dtype]), rows, 384);
    assert.ok(sameFile <= 1e-4, `${dtype} vs transformers on the ${dtype} file: ${sameFile}`);
    // The F16 file against the F32 reference: the cost of halving the download.
    const againstF32 = maxRowDifference(ours, decodeTensor(golden.f32), rows, 384);
    assert.ok(againstF32 <= (dtype === 'f16' ? 2e-3 : 1e-4), `${dtype} vs transformers on the f32 file: ${againstF32}`);
    model.dispose();
  });
}

test('MiniLM F32 and F16 share a fingerprint', async () => {
  const a = await loadBaseModel(`${MODELS}f32`);
  const b = await loadBaseModel(`${MODELS}f16`);
  assert.equal(a.fingerprint, b.fingerprint);
  a.dispose();
  b.dispose();
});

// Writes the adapter files that tools/reference/golden_training.py differentiates: fresh
// adapters from adapterkit with seeded noise on every parameter, so that no gradient is zero by
// construction. Run from the repository root: node tools/reference/make_training_adapters.mjs
import { writeFile } from 'node:fs/promises';

import { loadBaseModel } from '../../web/base_model.js';
import { splitSafetensors } from '../../wasm_tests/helpers/safetensors.mjs';

export const TRAINING_CASES = [
  { name: 'tiny-pooler-ln', model: 'tiny-f32', labels: ['a', 'b', 'c'], size: 4, nonLinearity: 'swish', headInput: 'pooler', headLayers: 2, headActivation: 'tanh', layerNorm: true, classWeights: [1, 2, 0.5], seed: 11 },
  { name: 'odd-cls-top1', model: 'odd-f32', labels: ['no', 'yes'], size: 6, nonLinearity: 'relu', headInput: 'cls', headLayers: 1, layers: { top: 1 }, layerNorm: false, classWeights: null, seed: 12 },
  { name: 'small-mean-gelu', model: 'small-relu-f32', labels: ['w', 'x', 'y', 'z'], size: 8, nonLinearity: 'gelu', headInput: 'mean', headNormalize: true, headLayers: 1, layerNorm: true, classWeights: null, seed: 13 },
];

const folder = new URL('../../wasm_tests/fixtures/', import.meta.url);

for (const c of TRAINING_CASES) {
  const base = await loadBaseModel(new URL(`models/${c.model}`, folder).pathname);
  const adapter = base.createAdapter({
    name: 'task', labels: c.labels, size: c.size, nonLinearity: c.nonLinearity, headInput: c.headInput,
    headNormalize: c.headNormalize ?? false, headLayers: c.headLayers, headActivation: c.headActivation ?? 'tanh',
    layers: c.layers ?? 'all', layerNorm: c.layerNorm, seed: c.seed,
  });
  const bytes = adapter.toBytes({ dtype: 'f32' });
  const dataStart = bytes.length - splitSafetensors(bytes).data.length;
  const floats = new Float32Array(bytes.slice(dataStart).buffer);
  let state = c.seed;
  for (let i = 0; i < floats.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    floats[i] += ((state >>> 8) / (1 << 24) - 0.5) * 0.4;
  }
  const out = bytes.slice();
  out.set(new Uint8Array(floats.buffer), dataStart);
  await writeFile(new URL(`training/${c.name}.safetensors`, folder), out);
  await writeFile(new URL(`training/${c.name}.case.json`, folder), JSON.stringify(c, null, 2) + '\n');
  base.dispose();
}

// Writes an adapterkit adapter (trained a few steps on a toy task, so every weight is
// non-trivial) in AdapterHub's layout, with adapterkit's logits for some texts, for
// tools/reference/check_adapterhub_export.py. Usage: node tools/reference/export_for_adapterhub.mjs OUT_FOLDER
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { exportAdapterHub } from '../../web/adapterhub.js';
import { loadBaseModel } from '../../web/base_model.js';

const out = process.argv[2] ?? 'build/export-check';
const model = new URL('../../wasm_tests/fixtures/models/tiny-f32', import.meta.url).pathname;
const base = await loadBaseModel(model);
const adapter = base.createAdapter({ name: 'exported', labels: ['museum', 'ship'], size: 4, layerNorm: false, headInput: 'cls', headLayers: 2 });
const examples = [];
for (let i = 0; i < 16; i++) examples.push({ text: `the museum opens at ${i}`, label: 'museum' }, { text: `why did the ship ${i} turn back`, label: 'ship' });
await adapter.train(examples, { epochs: 2, batchSize: 8, learningRate: 1e-2, validation: 0 });
const texts = ['the museum opens at nine', 'why did the ship turn back at sea?', 'Hello, world!'];
const logits = (await adapter.classify(texts)).map((r) => [...r.logits]);
const files = exportAdapterHub(adapter);
await mkdir(join(out, 'adapter'), { recursive: true });
for (const [name, content] of Object.entries(files)) await writeFile(join(out, 'adapter', name), content);
await writeFile(join(out, 'expected.json'), JSON.stringify({ model, texts, logits }, null, 2));
process.stdout.write(`wrote ${out}\n`);

// Converts adapters between AdapterHub's saved layout and adapterkit's adapter file.
//
//   node tools/adapterhub.mjs import HUB_FOLDER BASE_FOLDER OUT.safetensors [--name NAME]
//     HUB_FOLDER contains adapter_config.json, adapter.safetensors, head_config.json,
//     model_head.safetensors (and optionally layer_norms.safetensors), as written by
//     model.save_adapter(folder, name, with_head=True, use_safetensors=True).
//   node tools/adapterhub.mjs export ADAPTER.safetensors BASE_FOLDER OUT_FOLDER
//     writes the same four files for AdapterHub's model.load_adapter(OUT_FOLDER).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { exportAdapterHub, importAdapterHub } from '../web/adapterhub.js';
import { loadBaseModel } from '../web/base_model.js';

const [command, source, baseFolder, destination] = process.argv.slice(2);
const nameAt = process.argv.indexOf('--name');
if (!['import', 'export'].includes(command) || !source || !baseFolder || !destination) {
  process.stderr.write('usage:\n  node tools/adapterhub.mjs import HUB_FOLDER BASE_FOLDER OUT.safetensors [--name NAME]\n  node tools/adapterhub.mjs export ADAPTER.safetensors BASE_FOLDER OUT_FOLDER\n');
  process.exit(2);
}

try {
  const base = await loadBaseModel(baseFolder);
  if (command === 'import') {
    const read = (file) => readFile(join(source, file));
    const layerNorms = await read('layer_norms.safetensors').catch(() => undefined);
    const adapter = await importAdapterHub(
      base,
      {
        adapterConfig: JSON.parse(await read('adapter_config.json', 'utf8')),
        adapterWeights: new Uint8Array(await read('adapter.safetensors')),
        headConfig: JSON.parse(await read('head_config.json', 'utf8')),
        headWeights: new Uint8Array(await read('model_head.safetensors')),
        layerNorms: layerNorms ? new Uint8Array(layerNorms) : undefined,
      },
      { name: nameAt > 0 ? process.argv[nameAt + 1] : undefined },
    );
    const bytes = adapter.toBytes({ dtype: 'f32' });
    await writeFile(destination, bytes);
    process.stdout.write(`imported '${adapter.name}' (${adapter.labels.join(', ')}): ${bytes.length} bytes -> ${destination}\n`);
  } else {
    const adapter = await base.loadAdapter(new Uint8Array(await readFile(source)), { fileName: source });
    const files = exportAdapterHub(adapter);
    await mkdir(destination, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(join(destination, name), content);
    process.stdout.write(`exported '${adapter.name}' to ${destination}: ${Object.keys(files).join(', ')}\n`);
  }
  base.dispose();
} catch (error) {
  process.stderr.write(`adapterhub: ${error.code ?? 'ERROR'}: ${error.message}\n`);
  process.exit(1);
}

// Repacks a Hugging Face BERT folder: model.safetensors to F16 (or F32), dropping tensors that
// inference does not read (integer buffers such as position_ids), copying the other files, and
// writing adapterkit.json with every file's size and SHA-256.
// Usage: node tools/repack_model.mjs SOURCE_FOLDER DEST_FOLDER [--dtype f16|f32]
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

import { readTensors } from '../web/adapterhub.js';
import { writeSafetensors } from '../web/safetensors.js';

async function listFiles(folder, prefix = folder) {
  const out = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path, prefix)));
    else out.push(relative(prefix, path));
  }
  return out;
}

export async function repackModel(source, destination, dtype = 'f16') {
  await mkdir(destination, { recursive: true });
  const keep = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'];
  for (const file of await listFiles(source)) {
    if (keep.includes(file) || /^\d+_[A-Za-z]+\/config\.json$/.test(file) || file === 'README.md') {
      await mkdir(dirname(join(destination, file)), { recursive: true });
      await copyFile(join(source, file), join(destination, file));
    }
  }
  const bytes = new Uint8Array(await readFile(join(source, 'model.safetensors')));
  const { readSafetensorsHeader } = await import('../web/safetensors.js');
  const { header } = readSafetensorsHeader(bytes, 'model.safetensors');
  const floatNames = Object.keys(header).filter((k) => k !== '__metadata__' && ['F32', 'F16', 'BF16'].includes(header[k].dtype));
  const floatOnly = new Map([...readTensorsSafely(bytes, header)].filter(([name]) => floatNames.includes(name)));
  const tensors = [...floatOnly].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  await writeFile(join(destination, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt', repackedBy: 'adapterkit tools/repack_model.mjs' }, dtype));

  const manifest = { files: {} };
  for (const file of (await listFiles(destination)).filter((f) => f !== 'adapterkit.json').sort()) {
    const content = await readFile(join(destination, file));
    manifest.files[file] = { size: (await stat(join(destination, file))).size, sha256: createHash('sha256').update(content).digest('hex') };
  }
  await writeFile(join(destination, 'adapterkit.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

// readTensors rejects integer dtypes, so drop them from the header first.
function readTensorsSafely(bytes, header) {
  const filtered = Object.fromEntries(Object.entries(header).filter(([k, v]) => k === '__metadata__' || ['F32', 'F16', 'BF16'].includes(v.dtype)));
  const headerBytes = new TextEncoder().encode(JSON.stringify(filtered));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataStart = 8 + Number(view.getBigUint64(0, true));
  const rebuilt = new Uint8Array(8 + headerBytes.length + (bytes.length - dataStart));
  new DataView(rebuilt.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  rebuilt.set(headerBytes, 8);
  rebuilt.set(bytes.subarray(dataStart), 8 + headerBytes.length);
  return readTensors(rebuilt, 'model.safetensors');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [source, destination] = process.argv.slice(2);
  const at = process.argv.indexOf('--dtype');
  const dtype = at > 0 ? process.argv[at + 1] : 'f16';
  if (!source || !destination) {
    process.stderr.write('usage: node tools/repack_model.mjs SOURCE_FOLDER DEST_FOLDER [--dtype f16|f32]\n');
    process.exit(2);
  }
  const manifest = await repackModel(source, destination, dtype);
  process.stdout.write(`repacked ${source} -> ${destination} (${dtype}): model.safetensors ${manifest.files['model.safetensors'].size} bytes\n`);
}

// Writes a BERT model with seeded random weights in the standard Hugging Face layout
// (config.json, vocab.txt, tokenizer_config.json, model.safetensors, F32), for benchmarks that
// need a given shape without the Python stack. The vocabulary is a synthetic one of vocab_size
// entries; benchmarks feed token ids, so its contents do not matter.
import { mkdir, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { seededRandom } from '../wasm_tests/helpers/reference.mjs';

export const SHAPES = {
  'bert-base': { layers: 12, hidden: 768, heads: 12, intermediate: 3072, positions: 512, vocab: 30522 },
  'minilm-l6': { layers: 6, hidden: 384, heads: 12, intermediate: 1536, positions: 512, vocab: 30522 },
};

function gaussianFill(values, random, std) {
  for (let i = 0; i < values.length; i += 2) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    values[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < values.length) values[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return values;
}

/**
 * Creates (once) a random-weight model folder and returns its path.
 * @param {string} shapeName key of SHAPES
 * @param {string} folder destination; skipped when model.safetensors already exists there
 */
export async function writeRandomModel(shapeName, folder, seed = 1) {
  const shape = SHAPES[shapeName];
  if (!shape) throw new Error(`unknown shape '${shapeName}'; expected one of ${Object.keys(SHAPES).join(', ')}`);
  try {
    await stat(join(folder, 'model.safetensors'));
    return folder;
  } catch {
    // not there yet
  }
  await mkdir(folder, { recursive: true });
  const random = seededRandom(seed);
  const { layers, hidden: H, intermediate: F, positions, vocab } = shape;
  const tensors = [];
  const add = (name, dims, kind) => {
    const count = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    if (kind === 'ones') values.fill(1);
    else if (kind === 'weight') gaussianFill(values, random, 0.02);
    tensors.push({ name, dims, values });
  };
  add('embeddings.word_embeddings.weight', [vocab, H], 'weight');
  add('embeddings.position_embeddings.weight', [positions, H], 'weight');
  add('embeddings.token_type_embeddings.weight', [2, H], 'weight');
  add('embeddings.LayerNorm.weight', [H], 'ones');
  add('embeddings.LayerNorm.bias', [H], 'zeros');
  for (let il = 0; il < layers; il++) {
    const p = `encoder.layer.${il}.`;
    for (const part of ['query', 'key', 'value']) {
      add(`${p}attention.self.${part}.weight`, [H, H], 'weight');
      add(`${p}attention.self.${part}.bias`, [H], 'zeros');
    }
    add(`${p}attention.output.dense.weight`, [H, H], 'weight');
    add(`${p}attention.output.dense.bias`, [H], 'zeros');
    add(`${p}attention.output.LayerNorm.weight`, [H], 'ones');
    add(`${p}attention.output.LayerNorm.bias`, [H], 'zeros');
    add(`${p}intermediate.dense.weight`, [F, H], 'weight');
    add(`${p}intermediate.dense.bias`, [F], 'zeros');
    add(`${p}output.dense.weight`, [H, F], 'weight');
    add(`${p}output.dense.bias`, [H], 'zeros');
    add(`${p}output.LayerNorm.weight`, [H], 'ones');
    add(`${p}output.LayerNorm.bias`, [H], 'zeros');
  }
  add('pooler.dense.weight', [H, H], 'weight');
  add('pooler.dense.bias', [H], 'zeros');

  const header = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.dims, data_offsets: [offset, offset + t.values.byteLength] };
    offset += t.values.byteLength;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (headerBytes.length % 8)) % 8;
  headerBytes = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padding));
  const file = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    file.set(new Uint8Array(t.values.buffer), at);
    at += t.values.byteLength;
  }
  const config = {
    architectures: ['BertModel'], model_type: 'bert', hidden_act: 'gelu', hidden_size: H,
    num_hidden_layers: layers, num_attention_heads: shape.heads, intermediate_size: F,
    max_position_embeddings: positions, type_vocab_size: 2, vocab_size: vocab, layer_norm_eps: 1e-12,
  };
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const words = Array.from({ length: vocab }, (_, i) => (i < specials.length ? specials[i] : `tok${i}`));
  await writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(join(folder, 'vocab.txt'), words.join('\n') + '\n');
  await writeFile(join(folder, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  await writeFile(join(folder, 'model.safetensors'), file);
  return folder;
}

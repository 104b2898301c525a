// Broken model files are rejected with errors that name the file and the tensor or field, and
// the wasm module keeps working afterwards.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { BaseModel, loadBaseModel } from '../web/base_model.js';
import { ErrorCode } from '../web/errors.js';
import { modelFolder } from './helpers/golden.mjs';
import { editHeader } from './helpers/safetensors.mjs';

const folder = modelFolder('tiny-f32');
const original = {
  'config.json': new Uint8Array(await readFile(join(folder, 'config.json'))),
  'vocab.txt': new Uint8Array(await readFile(join(folder, 'vocab.txt'))),
  'tokenizer_config.json': new Uint8Array(await readFile(join(folder, 'tokenizer_config.json'))),
  'model.safetensors': new Uint8Array(await readFile(join(folder, 'model.safetensors'))),
};
const config = JSON.parse(new TextDecoder().decode(original['config.json']));
const QUERY = 'encoder.layer.1.attention.self.query.weight';

function withFile(name, bytes) {
  return { ...original, [name]: bytes };
}
function withConfig(edit) {
  const copy = structuredClone(config);
  edit(copy);
  return withFile('config.json', new TextEncoder().encode(JSON.stringify(copy)));
}

async function assertRejected(files, code, pattern) {
  await assert.rejects(BaseModel.fromFiles(files), (error) => {
    assert.equal(error.name, 'AdapterkitError', `got ${error.name}: ${error.message}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

const cases = [
  ['truncated file', () => withFile('model.safetensors', original['model.safetensors'].subarray(0, original['model.safetensors'].length >> 1)),
    ErrorCode.INVALID_FILE, /model\.safetensors: tensor '.*' data_offsets \[\d+, \d+\] fall outside the \d+-byte data section/],
  ['file shorter than header length field', () => withFile('model.safetensors', new Uint8Array(5)),
    ErrorCode.INVALID_FILE, /model\.safetensors: file is 5 bytes, too short/],
  ['header length larger than file', () => {
    const bytes = original['model.safetensors'].slice();
    new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
    return withFile('model.safetensors', bytes);
  }, ErrorCode.INVALID_FILE, /model\.safetensors: header length \d+ is larger than the \d+ bytes after it/],
  ['header not JSON', () => {
    const bytes = original['model.safetensors'].slice();
    bytes[8] = 0x7a; // 'z' instead of '{'
    return withFile('model.safetensors', bytes);
  }, ErrorCode.INVALID_FILE, /model\.safetensors: invalid JSON at byte 0/],
  ['tensor missing', () => withFile('model.safetensors', editHeader(original['model.safetensors'], (h) => delete h[QUERY])),
    ErrorCode.INVALID_FILE, new RegExp(`model\\.safetensors: tensor '${QUERY}' is missing`)],
  ['wrong shape', () => withFile('model.safetensors', editHeader(original['model.safetensors'], (h) => { h[QUERY].shape = [16, 64]; })),
    ErrorCode.INVALID_FILE, new RegExp(`tensor '${QUERY}' has shape \\[16, 64\\], expected \\[32, 32\\]`)],
  ['unsupported dtype', () => withFile('model.safetensors', editHeader(original['model.safetensors'], (h) => { h[QUERY].dtype = 'I32'; })),
    ErrorCode.INVALID_FILE, new RegExp(`tensor '${QUERY}' has unsupported dtype 'I32'; expected F32, F16 or BF16`)],
  ['size disagrees with shape', () => withFile('model.safetensors', editHeader(original['model.safetensors'], (h) => { h[QUERY].dtype = 'F16'; })),
    ErrorCode.INVALID_FILE, new RegExp(`tensor '${QUERY}' has 4096 bytes of data, but shape \\[32, 32\\] in F16 needs 2048`)],
  ['overlapping tensors', () => withFile('model.safetensors', editHeader(original['model.safetensors'], (h) => {
    const other = 'encoder.layer.1.attention.self.key.weight';
    h[other].data_offsets = [...h[QUERY].data_offsets];
  })), ErrorCode.INVALID_FILE, /model\.safetensors: tensors '.*' \[\d+, \d+\] and '.*' \[\d+, \d+\] overlap/],
  ['config field missing', () => withConfig((c) => delete c.num_attention_heads),
    ErrorCode.INVALID_FILE, /config\.json: field 'num_attention_heads' is missing/],
  ['config field not an integer', () => withConfig((c) => { c.hidden_size = '32'; }),
    ErrorCode.INVALID_FILE, /config\.json: field 'hidden_size' must be a positive integer, got a string/],
  ['hidden size not divisible by heads', () => withConfig((c) => { c.num_attention_heads = 5; }),
    ErrorCode.INVALID_FILE, /config\.json: hidden_size 32 is not divisible by num_attention_heads 5/],
  ['unsupported activation', () => withConfig((c) => { c.hidden_act = 'swish'; }),
    ErrorCode.INVALID_FILE, /config\.json: hidden_act 'swish' is not supported/],
  ['other model type', () => withConfig((c) => { c.model_type = 'roberta'; }),
    ErrorCode.INVALID_FILE, /config\.json: model_type is 'roberta', expected 'bert'/],
  ['config disagrees with weights', () => withConfig((c) => { c.intermediate_size = 128; }),
    ErrorCode.INVALID_FILE, /tensor 'encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[64, 32\], expected \[128, 32\]/],
  ['config not JSON', () => withFile('config.json', new TextEncoder().encode('{"hidden_size": 32,')),
    ErrorCode.INVALID_FILE, /config\.json: invalid JSON/],
  ['vocab without [CLS]', () => {
    const vocab = new TextDecoder().decode(original['vocab.txt']).replace('[CLS]\n', '[NOTCLS]\n');
    return withFile('vocab.txt', new TextEncoder().encode(vocab));
  }, ErrorCode.INVALID_FILE, /vocab\.txt.*\[CLS\]/],
  ['vocab larger than the embedding table', () => {
    const vocab = new TextDecoder().decode(original['vocab.txt']) + 'extra1\nextra2\n';
    return withFile('vocab.txt', new TextEncoder().encode(vocab));
  }, ErrorCode.INVALID_FILE, /vocab\.txt has 340 tokens but config\.json vocab_size is 338/],
];

for (const [name, makeFiles, code, pattern] of cases) {
  test(`model file rejected: ${name}`, async () => {
    await assertRejected(makeFiles(), code, pattern);
  });
}

test('model loads after rejected files', async () => {
  for (const [, makeFiles] of cases) await BaseModel.fromFiles(makeFiles()).catch(() => {});
  const model = await BaseModel.fromFiles(original);
  const result = await model.embed('hello world', { outputs: ['poolerOutput'] });
  assert.equal(result.poolerOutput.data.length, 32);
  assert.ok(result.poolerOutput.data.every(Number.isFinite));
  model.dispose();
});

test('model folder missing file', async () => {
  await assert.rejects(loadBaseModel(join(folder, 'no-such-folder')), (error) => {
    assert.equal(error.code, ErrorCode.INVALID_FILE);
    assert.match(error.message, /no-such-folder\/(config\.json|vocab\.txt): file not found/);
    return true;
  });
});

test('disposed model raises INVALID_STATE', async () => {
  const model = await BaseModel.fromFiles(original);
  model.dispose();
  await assert.rejects(model.embed('hello'), (error) => error.code === ErrorCode.INVALID_STATE);
});

test('token id outside vocabulary names row', async () => {
  const model = await BaseModel.fromFiles(original);
  await assert.rejects(model.embedIds([[2, 5, 3], [2, 9999, 3]]), (error) => {
    assert.equal(error.code, ErrorCode.INVALID_ARGUMENT);
    assert.match(error.message, /row 1 position 1: token id 9999 is outside the vocabulary \[0, 338\)/);
    return true;
  });
  model.dispose();
});

test('input longer than max positions rejected', async () => {
  const model = await BaseModel.fromFiles(original);
  await assert.rejects(model.embedIds([new Array(41).fill(5)]), /row 0 has length 41, expected 1\.\.40/);
  model.dispose();
});

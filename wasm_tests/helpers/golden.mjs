// Reads the golden outputs written by tools/reference/golden_encoder.py.
import { readFile } from 'node:fs/promises';

export const FIXTURES = new URL('../fixtures/', import.meta.url);

export async function readGolden(name) {
  return JSON.parse(await readFile(new URL(`golden/${name}.json`, FIXTURES), 'utf8'));
}

/** Decodes {shape, dtype: 'float32', base64} into a Float32Array. */
export function decodeTensor({ base64, dtype, shape }) {
  if (dtype !== 'float32') throw new Error(`golden tensor dtype ${dtype}, expected float32`);
  const bytes = Buffer.from(base64, 'base64');
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).slice();
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`golden tensor has ${values.length} values, shape needs ${count}`);
  return values;
}

export function modelFolder(name) {
  return new URL(`models/${name}`, FIXTURES).pathname;
}

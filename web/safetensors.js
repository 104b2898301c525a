// Reading the header and writing whole files of the safetensors format in JavaScript: the
// adapter metadata lives in the header, and adapter export writes new files. Tensor data is
// validated and decoded by the wasm core.

import { AdapterkitError, ErrorCode } from './errors.js';

/**
 * Reads the JSON header of a safetensors file.
 * @param {Uint8Array} bytes the whole file
 * @param {string} fileName for error messages
 * @returns {{ header: object, metadata: Record<string, string> }}
 */
export function readSafetensorsHeader(bytes, fileName) {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: ${bytes?.length ?? 0} bytes is too short for a safetensors file (8 bytes minimum)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: header length ${headerLength} is larger than the ${bytes.length - 8} bytes after it; the file is truncated or not a safetensors file`);
  }
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(headerLength))));
  } catch (error) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: header is not valid JSON: ${error.message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: header is not a JSON object`);
  }
  return { header, metadata: header.__metadata__ ?? {} };
}

// Round to nearest even, with overflow to infinity and subnormals kept.
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
export function float32ToFloat16Bits(value) {
  f32Scratch[0] = value;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs < 0x38800000) {
    f32Scratch[0] = Math.abs(value) * 16777216; // 2^24: units of the smallest subnormal
    const scaled = f32Scratch[0];
    let q = Math.floor(scaled);
    const remainder = scaled - q;
    if (remainder > 0.5 || (remainder === 0.5 && q & 1)) q += 1;
    return sign | q;
  }
  const exponent = (abs >>> 23) - 112;
  let half = (exponent << 10) | ((abs & 0x7fffff) >>> 13);
  const rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half += 1;
  return sign | half;
}

/**
 * Writes a safetensors file.
 * @param {{name: string, shape: number[], data: Float32Array}[]} tensors
 * @param {Record<string, string>} metadata string values only (the format requires it)
 * @param {'f32'|'f16'} dtype storage type of every tensor
 * @returns {Uint8Array}
 */
export function writeSafetensors(tensors, metadata, dtype = 'f16') {
  if (dtype !== 'f32' && dtype !== 'f16') {
    throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `dtype '${dtype}' is not supported for export; expected 'f16' or 'f32'`);
  }
  const elementSize = dtype === 'f16' ? 2 : 4;
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const length = t.data.length * elementSize;
    header[t.name] = { dtype: dtype === 'f16' ? 'F16' : 'F32', shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (new TextEncoder().encode(headerText).length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    if (dtype === 'f32') {
      for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
    } else {
      for (let i = 0; i < t.data.length; i++, at += 2) view.setUint16(at, float32ToFloat16Bits(t.data[i]), true);
    }
  }
  return out;
}

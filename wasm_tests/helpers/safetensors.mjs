// A test-side safetensors reader and writer, written independently of src/safetensors.cpp, for
// building deliberately broken files.

/** Splits a safetensors file into its parsed header and its data section. */
export function splitSafetensors(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  return { header, data: bytes.subarray(8 + headerLength) };
}

/** Joins a header object and a data section into a safetensors file. */
export function joinSafetensors(header, data) {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** Returns a copy of `bytes` with the header changed by `edit(header)`. */
export function editHeader(bytes, edit) {
  const { header, data } = splitSafetensors(bytes);
  edit(header);
  return joinSafetensors(header, data);
}

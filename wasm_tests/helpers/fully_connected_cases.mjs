// Fully-connected cases shared by the Node test and the browser page, so both environments
// run the same checks against the same double-precision reference.
import { denseReference, maxAbsDifference, randomFloats, seededRandom } from './reference.mjs';
import { unwrapWasmResult } from '../../web/errors.js';

// Shapes chosen to break naive kernels: one row, channel counts that are not multiples of the
// SIMD width or of XNNPACK's tile sizes, and a BERT-sized product.
export const FULLY_CONNECTED_SHAPES = [
  { rows: 1, nIn: 1, nOut: 1, bias: true },
  { rows: 1, nIn: 7, nOut: 3, bias: false },
  { rows: 5, nIn: 33, nOut: 17, bias: true },
  { rows: 13, nIn: 64, nOut: 130, bias: true },
  { rows: 128, nIn: 384, nOut: 96, bias: true },
];

/**
 * Runs one shape through the wasm fully-connected operator and the double reference.
 * @returns {{ maxDifference: number, tolerance: number }}
 */
export function runFullyConnectedCase(module, { rows, nIn, nOut, bias }, transposed = false) {
  const random = seededRandom(rows * 1000003 + nIn * 1009 + nOut);
  const x = randomFloats(random, rows * nIn, 2);
  const weight = randomFloats(random, nOut * nIn, 1);
  const b = bias ? randomFloats(random, nOut, 1) : null;

  // The transposed layout stores the same matrix as [I, O].
  let packed = weight;
  if (transposed) {
    packed = new Float32Array(nIn * nOut);
    for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) packed[i * nOut + o] = weight[o * nIn + i];
  }
  const handle = unwrapWasmResult(module.fullyConnectedCreate(nIn, nOut, packed, b, transposed));
  try {
    const y = unwrapWasmResult(module.fullyConnectedRun(handle, rows, x));
    const expected = denseReference(x, weight, b, rows, nIn, nOut);
    // f32 accumulation of nIn products of magnitude <= 2: rounding grows about with sqrt(nIn).
    const tolerance = 1e-6 * 2 * Math.sqrt(nIn) * 8 + 1e-6;
    return { maxDifference: maxAbsDifference(y, expected).max, tolerance, length: y.length };
  } finally {
    module.fullyConnectedDelete(handle);
  }
}

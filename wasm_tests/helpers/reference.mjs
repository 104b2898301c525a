// Independent references for the tests: a seeded random generator and double-precision math.
// Runs unchanged in Node and in the browser pages under wasm_tests/browser.

/** Returns a seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns a Float32Array of `n` values uniform in [-scale, scale). */
export function randomFloats(random, n, scale = 1) {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (random() * 2 - 1) * scale;
  return values;
}

/**
 * Computes y[R, O] = x[R, I] W^T + b in double precision, with W stored [O, I].
 * @returns {Float64Array}
 */
export function denseReference(x, weight, bias, nRows, nIn, nOut) {
  const y = new Float64Array(nRows * nOut);
  for (let r = 0; r < nRows; r++) {
    for (let o = 0; o < nOut; o++) {
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < nIn; i++) sum += x[r * nIn + i] * weight[o * nIn + i];
      y[r * nOut + o] = sum;
    }
  }
  return y;
}

/** Returns the largest |a[i] - b[i]| and the index where it occurs. */
export function maxAbsDifference(a, b) {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) {
      max = d;
      at = i;
    }
  }
  return { max, at };
}

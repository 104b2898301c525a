import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadRuntime } from '../web/runtime.js';
import { AdapterkitError, ErrorCode, unwrapWasmResult } from '../web/errors.js';
import { FULLY_CONNECTED_SHAPES, runFullyConnectedCase } from './helpers/fully_connected_cases.mjs';

const module = await loadRuntime();

for (const shape of FULLY_CONNECTED_SHAPES) {
  const label = `${shape.rows}x${shape.nIn}->${shape.nOut}${shape.bias ? '+bias' : ''}`;

  test(`fullyConnected matches double reference ${label}`, () => {
    const { maxDifference, tolerance, length } = runFullyConnectedCase(module, shape);
    assert.equal(length, shape.rows * shape.nOut);
    assert.ok(maxDifference <= tolerance, `max |difference| ${maxDifference} > ${tolerance}`);
  });

  test(`fullyConnected transposed weights ${label}`, () => {
    const { maxDifference, tolerance } = runFullyConnectedCase(module, shape, true);
    assert.ok(maxDifference <= tolerance, `max |difference| ${maxDifference} > ${tolerance}`);
  });
}

test('fullyConnected rejects wrong weight length', () => {
  const result = module.fullyConnectedCreate(4, 3, new Float32Array(11), null, false);
  assert.throws(() => unwrapWasmResult(result), (error) => {
    assert.ok(error instanceof AdapterkitError);
    assert.equal(error.code, ErrorCode.INVALID_ARGUMENT);
    assert.match(error.message, /weight has 11 values, expected 3 x 4 = 12/);
    return true;
  });
});

test('fullyConnected rejects wrong input length', () => {
  const handle = unwrapWasmResult(module.fullyConnectedCreate(4, 3, new Float32Array(12), null, false));
  const result = module.fullyConnectedRun(handle, 2, new Float32Array(7));
  module.fullyConnectedDelete(handle);
  assert.throws(() => unwrapWasmResult(result), /input has 7 values, expected 2 x 4 = 8/);
});

test('fullyConnected rejects disposed handle', () => {
  const handle = unwrapWasmResult(module.fullyConnectedCreate(2, 2, new Float32Array(4), null, false));
  assert.equal(module.fullyConnectedDelete(handle), true);
  assert.equal(module.fullyConnectedDelete(handle), false);
  const result = module.fullyConnectedRun(handle, 1, new Float32Array(2));
  assert.equal(result.code, ErrorCode.INVALID_STATE);
  assert.match(result.message, new RegExp(`handle ${handle} is not valid`));
});

test('fullyConnected usable after errors', () => {
  module.fullyConnectedCreate(0, 3, new Float32Array(0), null, false);
  module.fullyConnectedRun(987654, 1, new Float32Array(1));
  const { maxDifference, tolerance } = runFullyConnectedCase(module, FULLY_CONNECTED_SHAPES[2]);
  assert.ok(maxDifference <= tolerance);
});

test('buildInfo reports SIMD single-threaded build', () => {
  const info = module.buildInfo();
  assert.equal(info.simd, true);
  assert.equal(info.threads, false);
});

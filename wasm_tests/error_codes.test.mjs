import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { ErrorCode } from '../web/errors.js';

test('ErrorCode mirrors C++ StatusCode', async () => {
  const header = await readFile(new URL('../src/status.h', import.meta.url), 'utf8');
  const body = header.slice(header.indexOf('enum class StatusCode'), header.indexOf('};'));
  // kInvalidArgument -> INVALID_ARGUMENT, in declaration order.
  const cppNames = [...body.matchAll(/\bk([A-Za-z]+) = (\d+)/g)].map((match) => ({
    name: match[1].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(),
    value: Number(match[2]),
  }));
  assert.ok(cppNames.length >= 7, `found only ${cppNames.length} StatusCode entries`);
  const jsNames = Object.keys(ErrorCode);
  cppNames.forEach(({ name, value }, index) => {
    assert.equal(value, index, `StatusCode ${name} has value ${value}, expected ${index}`);
    assert.equal(jsNames[index], name, `ErrorCode entry ${index}`);
  });
});

test('status_code_name covers every code', async () => {
  const source = await readFile(new URL('../src/status.cpp', import.meta.url), 'utf8');
  for (const name of Object.keys(ErrorCode).slice(0, 7)) {
    assert.ok(source.includes(`return "${name}"`), `status_code_name lacks ${name}`);
  }
});

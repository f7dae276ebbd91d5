import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LimitedOutput, goDuration, mergeHealthcheck, probeOf, validateHealthcheck } from '../../src/container/health-config.js';

test('a request healthcheck fills its empty fields from the image, as docker merges them', () => {
  const image = { Test: ['CMD', 'true'], Interval: 5e9, Retries: 7 };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Test: [], Interval: 1e9 }, image), { Test: ['CMD', 'true'], Interval: 1e9, Timeout: undefined, StartPeriod: undefined, StartInterval: undefined, Retries: 7 });
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image)?.Test, ['NONE']);
});

test('probeOf runs CMD as given and CMD-SHELL through the shell, with docker defaults', () => {
  assert.deepEqual(probeOf({ Test: ['CMD', 'a', 'b'] }), { cmd: ['a', 'b'], intervalMs: 30000, timeoutMs: 30000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3 });
  assert.deepEqual(probeOf({ Test: ['CMD-SHELL', 'x && y'], Interval: 1e8 })?.cmd, ['/bin/sh', '-c', 'x && y']);
  assert.deepEqual(probeOf({ Test: ['CMD-SHELL', 'x'] }, ['/bin/bash', '-ec'])?.cmd, ['/bin/bash', '-ec', 'x']);
  assert.equal(probeOf({ Test: ['NONE'] }), undefined);
  assert.equal(probeOf({ Test: [] }), undefined);
  assert.equal(probeOf(undefined), undefined);
});

test('durations under 1ms and negative retries are refused in docker words', () => {
  assert.throws(() => validateHealthcheck({ Timeout: 999_999 }), { message: 'Timeout in Healthcheck cannot be less than 1ms' });
  assert.throws(() => validateHealthcheck({ StartPeriod: -1 }), /StartPeriod in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Retries: -1 }), /Retries in Healthcheck cannot be negative/);
  validateHealthcheck({ Interval: 0, Timeout: 1_000_000, Retries: 0 });
});

test('goDuration prints as Go does', () => {
  assert.equal(goDuration(200), '200ms');
  assert.equal(goDuration(30000), '30s');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(90000), '1m30s');
  assert.equal(goDuration(3_600_000), '1h0m0s');
});

test('LimitedOutput keeps 4096 bytes and marks the cut', () => {
  const out = new LimitedOutput();
  out.write(Buffer.alloc(4000, 'a'));
  out.write(Buffer.alloc(200, 'b'));
  assert.equal(out.toString(), 'a'.repeat(4000) + 'b'.repeat(96) + '...');
  const small = new LimitedOutput();
  small.write(Buffer.from('ok\n'));
  assert.equal(small.toString(), 'ok\n');
});

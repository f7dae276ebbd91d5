import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { link, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkResources, resourceLimits, applyResourceDefaults } from '../../src/container/limits.js';
import { mergeUpdate } from '../../src/container/update.js';
import { normalizeLogConfig, rotationOf, DEFAULT_ROTATION } from '../../src/container/log-config.js';
import { parseCpuList, readLog, toOciResources, type HostResources } from '../../src/runtime/index.js';
import { settleRotation } from '../../src/runtime/log-rotation.js';
import { parseUlimit } from '../../src/cli/commands/resource-flags.js';
import type { ContainerRecord } from '../../src/container/record.js';

const HOST: HostResources = { cpus: [0, 1], mems: [0], blkioWeight: false, swapLimit: true };
const MiB = 1024 * 1024;

describe('checkResources', () => {
  it('accepts sane limits and refuses what dockerd refuses, in its words', () => {
    assert.deepEqual(checkResources({ Memory: 64 * MiB, MemorySwap: 128 * MiB, NanoCpus: 1.5e9, CpusetCpus: '0-1' }, HOST), []);
    assert.throws(() => checkResources({ Memory: 1024 }, HOST), /^EngineError: Minimum memory limit allowed is 6MB$/);
    assert.throws(() => checkResources({ Memory: 64 * MiB, MemorySwap: 32 * MiB }, HOST), /Minimum memoryswap limit should be larger than memory limit, see usage/);
    assert.throws(() => checkResources({ MemorySwap: 32 * MiB }, HOST), /You should always set the Memory limit when using Memoryswap limit/);
    assert.throws(() => checkResources({ NanoCpus: 3e9 }, HOST), /range of CPUs is from 0\.01 to 2\.00, as there are only 2 CPUs available/);
    assert.throws(() => checkResources({ NanoCpus: 1e9, CpuQuota: 5000 }, HOST), /Conflicting options: Nano CPUs and CPU Quota cannot both be set/);
    assert.throws(() => checkResources({ CpusetCpus: '0-3' }, HOST), /Requested CPUs are not available - requested 0-3, available: 0-1/);
    assert.throws(() => checkResources({ CpusetMems: '1' }, HOST), /Requested memory nodes are not available - requested 1, available: 0/);
    assert.throws(() => checkResources({ Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }, HOST), /invalid ulimit type: bogus/);
  });

  it('discards a blkio weight the host cannot apply, with docker\'s warning', () => {
    const hc = { BlkioWeight: 300 };
    assert.match(checkResources(hc, HOST)[0], /Weight discarded/);
    assert.equal(hc.BlkioWeight, 0);
  });

  it('lets an update set swap without memory', () => {
    assert.deepEqual(checkResources({ MemorySwap: 32 * MiB }, HOST, { update: true }), []);
  });
});

describe('resource limits', () => {
  it('turn NanoCpus into a quota over the default period, and leave unlimited values out', () => {
    const hc = { Memory: 32 * MiB, NanoCpus: 0.5e9, PidsLimit: -1 };
    applyResourceDefaults(hc, HOST);
    assert.equal(hc.PidsLimit, null);
    assert.deepEqual(toOciResources(resourceLimits(hc)), { memory: { limit: 32 * MiB, swap: 64 * MiB }, cpu: { quota: 50000, period: 100000 } });
  });

  it('parseCpuList reads kernel lists and refuses others', () => {
    assert.deepEqual(parseCpuList('0-2,5'), [0, 1, 2, 5]);
    assert.equal(parseCpuList('2-1'), null);
    assert.equal(parseCpuList('a'), null);
  });
});

describe('mergeUpdate', () => {
  const rec = (hostConfig: object) => ({ id: 'c'.repeat(64), hostConfig } as unknown as ContainerRecord);

  it('changes only the fields the request sets', () => {
    const hc = mergeUpdate(rec({ Memory: 32 * MiB, MemorySwap: 64 * MiB, CpuShares: 100 }), { Memory: 48 * MiB, CpuShares: 0 });
    assert.equal(hc.Memory, 48 * MiB);
    assert.equal(hc.CpuShares, 100);
  });

  it('refuses memory above the recorded swap limit and quota after NanoCpus', () => {
    assert.throws(() => mergeUpdate(rec({ Memory: 32 * MiB, MemorySwap: 64 * MiB }), { Memory: 128 * MiB }), /update the memoryswap at the same time/);
    assert.throws(() => mergeUpdate(rec({ NanoCpus: 1e9 }), { CpuQuota: 5000 }), /CPU Quota cannot be updated as NanoCPUs has already been set/);
    assert.throws(() => mergeUpdate(rec({ AutoRemove: true }), { RestartPolicy: { Name: 'always' } }), /AutoRemove is enabled/);
  });
});

describe('log config', () => {
  it('defaults to json-file, rotated at 20 MB x 5', () => {
    assert.deepEqual(normalizeLogConfig(undefined), { Type: 'json-file', Config: {} });
    assert.deepEqual(rotationOf({ Type: 'json-file', Config: {} }), DEFAULT_ROTATION);
    assert.deepEqual(DEFAULT_ROTATION, { maxBytes: 20_000_000, maxFiles: 5 });
  });

  it('reads max-size in decimal units, with max-file 1 unless given (json-file) or 5 (local)', () => {
    assert.deepEqual(rotationOf({ Type: 'json-file', Config: { 'max-size': '10m' } }), { maxBytes: 10_000_000, maxFiles: 1 });
    assert.deepEqual(rotationOf({ Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } }), { maxBytes: 10_000, maxFiles: 3 });
    assert.deepEqual(rotationOf({ Type: 'local', Config: { 'max-size': '1m' } }), { maxBytes: 1_000_000, maxFiles: 5 });
  });

  it('refuses unknown drivers and options', () => {
    assert.throws(() => normalizeLogConfig({ Type: 'gelf', Config: {} }), /no log driver named 'gelf' is registered/);
    assert.throws(() => normalizeLogConfig({ Type: 'local', Config: { tag: 'x' } }), /unknown log opt 'tag' for local log driver/);
    assert.throws(() => normalizeLogConfig({ Type: 'json-file', Config: { 'max-file': '3' } }), /max-file cannot be set without max-size/);
  });
});

describe('parseUlimit', () => {
  it('reads name=soft[:hard] with go-units\' wording for mistakes', () => {
    assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
    assert.deepEqual(parseUlimit('nproc=50'), { Name: 'nproc', Soft: 50, Hard: 50 });
    assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
    assert.throws(() => parseUlimit('nofile=5:2'), /ulimit soft limit must be less than or equal to hard limit: 5 > 2/);
  });
});

describe('rotated logs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-rotation-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const rec = (n: number) => `2026-11-23T01:19:${String(n).padStart(2, '0')}.000000000+00:00 stdout F line ${n}\n`;

  it('a settled cut shifts the kept file to .1 and drops files past max-file', async () => {
    const log = join(dir, 'a.log');
    const target = { logPath: log, ctlPath: join(dir, 'ctl'), maxBytes: 10, maxFiles: 2 };
    await writeFile(log, rec(1));
    await settleRotation(target); // links the live file
    assert.equal((await stat(join(dir, '.a.log.keep'))).ino, (await stat(log)).ino);
    for (const n of [2, 3]) {
      await rm(log); // what a cut does; conmon then writes a new file
      await writeFile(log, rec(n));
      await settleRotation(target);
    }
    assert.deepEqual((await readdir(dir)).sort(), ['.a.log.keep', 'a.log', 'a.log.1']);
    assert.equal(await readFile(join(dir, 'a.log.1'), 'utf8'), rec(2));
  });

  it('readLog reads rotated files oldest first and tails across them', async () => {
    const log = join(dir, 'b.log');
    await writeFile(`${log}.2`, rec(1) + rec(2));
    await writeFile(`${log}.1`, rec(3));
    await writeFile(log, rec(4) + rec(5));
    await link(log, join(dir, '.b.log.keep'));
    const all: string[] = [];
    for await (const r of readLog(log)) all.push(r.data.toString());
    assert.deepEqual(all, ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    const tail: string[] = [];
    for await (const r of readLog(log, { tail: 4 })) tail.push(r.data.toString());
    assert.deepEqual(tail, ['line 2', 'line 3', 'line 4', 'line 5']);
  });

  it('--tail finds its start across read chunks of a large file', async () => {
    const log = join(dir, 'd.log');
    const t = '2026-11-23T01:19:01.000000000+00:00 stdout';
    const records: string[] = [];
    for (let i = 1; i <= 3000; i++) {
      if (i % 7 === 0) records.push(`${t} P part-of-${i}-`);
      records.push(`${t} F line ${i} ${'x'.repeat(i % 50)}`);
    }
    await writeFile(log, records.join('\n') + '\n');
    for (const n of [1, 7, 1234, 2999, 3000, 5000]) {
      const lines: string[] = [];
      let cur = '';
      for await (const r of readLog(log, { tail: n })) {
        cur += r.data.toString();
        if (!r.partial) (lines.push(cur), (cur = ''));
      }
      assert.equal(lines.length, Math.min(n, 3000), `--tail ${n}`);
      assert.match(lines[lines.length - 1], /^line 3000 /);
      const first = 3000 - Math.min(n, 3000) + 1;
      assert.match(lines[0], new RegExp(`^(part-of-${first}-)?line ${first} `), `--tail ${n}`);
    }
  });

  it('--tail counts a line cut into partial records once', async () => {
    const log = join(dir, 'c.log');
    const t = '2026-11-23T01:19:01.000000000+00:00 stdout';
    await writeFile(log, `${t} F one\n${t} P tw\n${t} P o-\n${t} F two\n${t} F three\n${t} P thr`);
    const got: string[] = [];
    for await (const r of readLog(log, { tail: 2 })) got.push(`${r.partial ? 'P' : 'F'}:${r.data}`);
    assert.deepEqual(got, ['P:tw', 'P:o-', 'F:two', 'F:three']);
  });
});

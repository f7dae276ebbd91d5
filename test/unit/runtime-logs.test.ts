import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogLine, readLog, type LogRecord, type ReadLogOptions } from '../../src/runtime/index.js';

const T0 = '2026-11-23T01:19:24.343042824+00:00';
const T0_NS = 1795396764343042824n;

const line = (time: string, stream: string, tag: string, text: string): string => `${time} ${stream} ${tag} ${text}\n`;
const at = (sec: number): string => `2026-11-23T01:19:${String(sec).padStart(2, '0')}.000000000+00:00`;

async function collect(path: string, opts: ReadLogOptions = {}): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of readLog(path, opts)) out.push(r);
  return out;
}
const texts = (rs: LogRecord[]): string[] => rs.map((r) => r.data.toString());

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseLogLine', () => {
  it('reads time, stream, full-line tag and data without the newline', () => {
    const r = parseLogLine(Buffer.from(line(T0, 'stdout', 'F', 'hello world').trimEnd()))!;
    assert.equal(r.time, T0);
    assert.equal(r.timeNs, T0_NS);
    assert.equal(r.stream, 'stdout');
    assert.equal(r.partial, false);
    assert.equal(r.data.toString(), 'hello world');
  });

  it('honours the UTC offset conmon writes in local time', () => {
    const r = parseLogLine(Buffer.from('2026-11-23T02:19:24.343042824+01:00 stderr P part'))!;
    assert.equal(r.timeNs, T0_NS);
    assert.equal(r.stream, 'stderr');
    assert.equal(r.partial, true);
    assert.equal(r.data.toString(), 'part');
  });

  it('an empty line is a record with empty data', () => {
    assert.equal(parseLogLine(Buffer.from(`${T0} stdout F `))!.data.length, 0);
  });

  it('a line that is not a record gives null', () => {
    assert.equal(parseLogLine(Buffer.from('garbage')), null);
    assert.equal(parseLogLine(Buffer.from(`${T0} stdin F x`)), null);
    assert.equal(parseLogLine(Buffer.from(`yesterday stdout F x`)), null);
    assert.equal(parseLogLine(Buffer.from(`${T0} stdout X x`)), null);
  });
});

describe('readLog', () => {
  it('returns full and partial records of both streams in order, binary-safe', async () => {
    const p = join(dir, 'mixed.log');
    await writeFile(p, line(at(1), 'stdout', 'P', 'hel') + line(at(1), 'stdout', 'F', 'lo') + line(at(2), 'stderr', 'F', 'oops \u00e9'));
    const rs = await collect(p);
    assert.deepEqual(rs.map((r) => [r.stream, r.partial, r.data.toString()]), [
      ['stdout', true, 'hel'],
      ['stdout', false, 'lo'],
      ['stderr', false, 'oops \u00e9'],
    ]);
  });

  it('a missing file yields nothing', async () => {
    assert.deepEqual(await collect(join(dir, 'never.log')), []);
  });

  it('a half-written last line is not returned', async () => {
    const p = join(dir, 'torn.log');
    await writeFile(p, line(at(1), 'stdout', 'F', 'one') + `${at(2)} stdout F tw`);
    assert.deepEqual(texts(await collect(p)), ['one']);
    assert.deepEqual(texts(await collect(p, { tail: 1 })), ['one']);
  });

  it('tail returns the last lines, and tail 0 none', async () => {
    const p = join(dir, 'tail.log');
    let text = '';
    for (let i = 0; i < 10; i++) text += line(at(i), 'stdout', 'F', `l${i}`);
    await writeFile(p, text);
    assert.deepEqual(texts(await collect(p, { tail: 3 })), ['l7', 'l8', 'l9']);
    assert.deepEqual(texts(await collect(p, { tail: 0 })), []);
    assert.equal((await collect(p, { tail: 50 })).length, 10);
  });

  it('tail finds lines across read chunks of a large file', async () => {
    const p = join(dir, 'big.log');
    const big = 'x'.repeat(50_000);
    await writeFile(p, [0, 1, 2, 3].map((i) => line(at(i), 'stdout', 'F', `${i}${big}`)).join(''));
    assert.deepEqual((await collect(p, { tail: 2 })).map((r) => r.data.subarray(0, 1).toString()), ['2', '3']);
  });

  it('since and until select records by time', async () => {
    const p = join(dir, 'since.log');
    let text = '';
    for (let i = 0; i < 6; i++) text += line(at(i), 'stdout', 'F', `l${i}`);
    await writeFile(p, text);
    const ns = parseLogLine(Buffer.from(line(at(2), 'stdout', 'F', '').trimEnd()))!.timeNs;
    assert.deepEqual(texts(await collect(p, { sinceNs: ns })), ['l2', 'l3', 'l4', 'l5']);
    assert.deepEqual(texts(await collect(p, { untilNs: ns })), ['l0', 'l1', 'l2']);
  });

  it('follow returns appended lines and ends once the writer stopped and the file is drained', async () => {
    const p = join(dir, 'follow.log');
    await writeFile(p, line(at(0), 'stdout', 'F', 'first'));
    let running = true;
    const got: string[] = [];
    const reading = (async () => {
      for await (const r of readLog(p, { follow: true, isRunning: () => running })) got.push(r.data.toString());
    })();
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(p, line(at(1), 'stdout', 'F', 'second') + `${at(2)} stderr F thi`);
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(p, 'rd\n');
    await appendFile(p, line(at(3), 'stdout', 'F', 'last'));
    running = false; // as conmon does: all output is written before the exit is known
    await reading;
    assert.deepEqual(got, ['first', 'second', 'third', 'last']);
  });

  it('follow waits for a log that does not exist yet', async () => {
    const p = join(dir, 'later.log');
    let running = true;
    const reading = collect(p, { follow: true, isRunning: () => running });
    await new Promise((r) => setTimeout(r, 30));
    await writeFile(p, line(at(0), 'stdout', 'F', 'hello'));
    await new Promise((r) => setTimeout(r, 30));
    running = false;
    assert.deepEqual(texts(await reading), ['hello']);
  });

  it('follow ends without an error when the signal aborts', async () => {
    const p = join(dir, 'abort.log');
    await writeFile(p, line(at(0), 'stdout', 'F', 'only'));
    const ac = new AbortController();
    const reading = collect(p, { follow: true, isRunning: () => true, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    assert.deepEqual(texts(await reading), ['only']);
  });
});

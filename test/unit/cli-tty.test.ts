import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DetachWatcher, parseDetachKeys } from '../../src/cli/tty.js';
import { formatEvent } from '../../src/cli/commands/running.js';
import { readFirstJson } from '../../src/api/first-json.js';

test('parseDetachKeys reads ctrl- names and single characters', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [0x10, 0x11]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x')], [0x01, 0x78]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-_')], [0x00, 0x1f]);
  assert.throws(() => parseDetachKeys('ctrl-pp'), /Invalid detach keys/);
});

test('DetachWatcher holds a possible sequence and lets broken ones through', () => {
  const w = new DetachWatcher(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(w.feed(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(w.feed(Buffer.from('c')), { forward: Buffer.from('\x10c'), detach: false });
  assert.deepEqual(w.feed(Buffer.from('\x10\x10')), { forward: Buffer.from('\x10'), detach: false });
  assert.deepEqual(w.feed(Buffer.from('\x11rest')), { forward: Buffer.alloc(0), detach: true });
});

test('formatEvent prints docker events lines with sorted attributes', () => {
  const line = formatEvent({
    Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } },
    time: 1_700_000_000, timeNano: 1_700_000_000_123_456_789,
  });
  assert.match(line, /^2023-11-14T22:13:20\.123456\d{3}Z container start abc \(image=busybox, name=web\)$/);
});

test('readFirstJson returns the first object of an open stream and keeps what follows', async () => {
  const s = new PassThrough();
  s.write('{"Detach":false,"Nested":{"a":"}"}}stdin bytes');
  const body = await readFirstJson(s);
  assert.deepEqual(body, { Detach: false, Nested: { a: '}' } });
  s.end();
  const rest: Buffer[] = [];
  for await (const c of s) rest.push(c as Buffer);
  assert.equal(Buffer.concat(rest).toString(), 'stdin bytes');
});

test('readFirstJson with a Content-Length takes exactly that many bytes', async () => {
  const s = new PassThrough();
  s.end('{"Tty":true}\nabc');
  assert.deepEqual(await readFirstJson(s, 13), { Tty: true });
  const rest: Buffer[] = [];
  for await (const c of s) rest.push(c as Buffer);
  assert.equal(Buffer.concat(rest).toString(), 'abc');
});

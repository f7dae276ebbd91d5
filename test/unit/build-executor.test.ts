// Pure pieces of the builder: COPY source patterns, destinations, metadata
// instructions, the context tar reader against the hand-made tar writer and
// GNU tar, and the ordering of parallel stages' output.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { absoluteIn, matchPath } from '../../src/build/paths.js';
import { applyMetadata, setEnv } from '../../src/build/metadata.js';
import { TarScanner, TarFormat, type ScannedEntry } from '../../src/build/tar-scan.js';
import { tarHeader, tarPadding, TAR_END } from '../../src/util/tar-header.js';
import { OutputLanes } from '../../src/build/lanes.js';
import { parseDockerfile } from '../../src/build/dockerfile/index.js';

test('COPY patterns match as Go filepath.Match per segment, ** across segments', () => {
  assert.ok(matchPath('*.txt', 'a.txt'));
  assert.ok(!matchPath('*.txt', 'dir/a.txt'));
  assert.ok(matchPath('dir/?.txt', 'dir/a.txt'));
  assert.ok(matchPath('[a-c]*', 'beta'));
  assert.ok(!matchPath('[!a-c]*', 'beta'));
  assert.ok(matchPath('**/*.go', 'x/y/z.go'));
  assert.ok(matchPath('**/*.go', 'z.go'));
  assert.ok(matchPath('a\\*b', 'a*b'));
  assert.ok(!matchPath('a\\*b', 'axb'));
});

test('destinations resolve against WORKDIR and keep a trailing slash', () => {
  assert.equal(absoluteIn('/app', 'x'), '/app/x');
  assert.equal(absoluteIn('/app', './'), '/app/');
  assert.equal(absoluteIn('/app', '/etc/y'), '/etc/y');
  assert.equal(absoluteIn('/', '../../z'), '/z');
});

test('metadata instructions change the config as docker does', () => {
  const df = parseDockerfile('FROM x\nCMD ["a"]\nENTRYPOINT ["e"]\nENV A=1 B=2\nENV A=3\nEXPOSE 80 5000-5001/udp\nWORKDIR sub\nWORKDIR /abs\nWORKDIR rel\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n');
  let config = { Cmd: ['base'] } as Record<string, unknown>;
  const flags = { cmdSet: false };
  for (const ins of df.stages[0].instructions) config = applyMetadata(config, ins as never, flags).config as Record<string, unknown>;
  assert.deepEqual(config.Entrypoint, ['e']);
  assert.deepEqual(config.Env, ['A=3', 'B=2']);
  assert.deepEqual(Object.keys(config.ExposedPorts as object), ['80/tcp', '5000/udp', '5001/udp']);
  assert.equal(config.WorkingDir, '/abs/rel');
  assert.deepEqual(config.Cmd, ['/bin/bash', '-c', 'echo hi']);
  const fresh = { cmdSet: false };
  assert.equal(applyMetadata({ Cmd: ['base'] }, parseDockerfile('FROM x\nENTRYPOINT ["e"]\n').stages[0].instructions[0] as never, fresh).config.Cmd, null, 'an inherited CMD is reset by ENTRYPOINT');
  assert.deepEqual(setEnv(['PATH=/bin'], [['PATH', '/usr/bin:/bin']]), ['PATH=/usr/bin:/bin']);
  assert.throws(() => applyMetadata({}, parseDockerfile('FROM x\nSTOPSIGNAL SIGNOPE\n').stages[0].instructions[0] as never, fresh), /Invalid signal/);
});

function scan(chunks: Buffer[]): Array<ScannedEntry & { data: string }> {
  const out: Array<ScannedEntry & { data: string }> = [];
  let parts: Buffer[] = [];
  const s = new TarScanner({
    entry: (e) => {
      out.push({ ...e, data: '' });
      parts = [];
    },
    data: (c) => parts.push(c),
    done: () => {
      out[out.length - 1].data = Buffer.concat(parts).toString();
    },
  });
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

test('the context tar reader reads what the hand-made writer writes, long names included, in any chunking', () => {
  const long = `${'d'.repeat(120)}/file.txt`;
  const parts = [
    tarHeader({ name: 'dir/', type: '5', mode: 0o755, uid: 1, gid: 2, mtime: 100, size: 0 }),
    tarHeader({ name: long, type: '0', mode: 0o640, uid: 0, gid: 0, mtime: 5, size: 5 }), Buffer.from('hello'), Buffer.alloc(tarPadding(5)),
    tarHeader({ name: 'link', type: '2', mode: 0o777, uid: 0, gid: 0, mtime: 5, size: 0, linkname: 'dir' }),
    TAR_END,
  ];
  const whole = Buffer.concat(parts);
  for (const size of [1, 7, 512, 4096, whole.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < whole.length; i += size) chunks.push(whole.subarray(i, i + size));
    const entries = scan(chunks);
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.mode, e.data]), [['dir/', '5', 0o755, ''], [long, '0', 0o640, 'hello'], ['link', '2', 0o777, '']]);
    assert.equal(entries[0].uid, 1);
    assert.equal(entries[2].linkname, 'dir');
  }
  assert.throws(() => scan([whole.subarray(0, 700)]), TarFormat);
  const bad = Buffer.from(whole);
  bad[0] ^= 1;
  assert.throws(() => scan([bad]), /checksum/);
});

test('the context tar reader reads GNU tar archives (PAX long names) and those cut short after the last data', () => {
  const dir = mkdtempSync('/tmp/berth-unit-tar-');
  try {
    mkdirSync(join(dir, 'src', 'x'.repeat(150)), { recursive: true });
    writeFileSync(join(dir, 'src', 'x'.repeat(150), 'f'), 'content');
    const tar = spawnSync('tar', ['--format=pax', '-cf', '-', '-C', join(dir, 'src'), '.']).stdout;
    const entries = scan([tar]);
    const f = entries.find((e) => e.name.endsWith('/f'));
    assert.equal(f?.data, 'content');
    assert.equal(f?.name, `./${'x'.repeat(150)}/f`);
    const cut = Buffer.concat([tarHeader({ name: 'a', type: '0', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 3 }), Buffer.from('abc')]);
    assert.equal(scan([cut])[0].data, 'abc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parallel stages print in stage order: later lanes wait for earlier ones', () => {
  const printed: string[] = [];
  const lanes = new OutputLanes([0, 1, 2], (t) => printed.push(t));
  lanes.lane(2)('c1');
  lanes.lane(0)('a1');
  lanes.lane(1)('b1');
  lanes.finish(2);
  lanes.lane(0)('a2');
  lanes.finish(0);
  lanes.lane(1)('b2');
  lanes.finish(1);
  assert.deepEqual(printed, ['a1', 'a2', 'b1', 'b2', 'c1']);
});

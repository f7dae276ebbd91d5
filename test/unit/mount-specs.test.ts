import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseApiMount, parseBind, parseTmpfs, parseVolumesFrom } from '../../src/container/mount-specs.js';
import { goFileMode } from '../../src/container/container-paths.js';

test('-v NAME:/path is a volume, /host:/path a bind, /path an anonymous volume', () => {
  const v = parseBind('data:/var/lib/data:ro');
  assert.equal(v.type, 'volume');
  assert.equal(v.source, 'data');
  assert.equal(v.destination, '/var/lib/data');
  assert.equal(v.readOnly, true);
  assert.equal(v.copyData, true);
  const b = parseBind('/srv/www/:/www:rw,rshared');
  assert.deepEqual([b.type, b.source, b.destination, b.readOnly, b.propagation], ['bind', '/srv/www', '/www', false, 'rshared']);
  const a = parseBind('/cache');
  assert.deepEqual([a.type, a.source, a.destination], ['volume', '', '/cache']);
  assert.equal(parseBind('data:/d:nocopy').copyData, false);
});

test('bad -v specifications are refused with docker\'s wording', () => {
  assert.throws(() => parseBind('data:relative'), /invalid volume specification: 'data:relative'.*mount path must be absolute/);
  assert.throws(() => parseBind('/a:/b:c:d'), /invalid volume specification: '\/a:\/b:c:d'/);
  assert.throws(() => parseBind('/dest:rw'), /invalid volume specification: '\/dest:rw'/);
  assert.throws(() => parseBind('/a:/b:ro,rw'), /invalid mode: ro,rw/);
  assert.throws(() => parseBind('/a:/b:sideways'), /invalid mode: sideways/);
  assert.throws(() => parseBind('vol:/b:rshared'), /invalid mode: rshared/);
});

test('--mount entries are checked as moby checks them', () => {
  assert.throws(() => parseApiMount({ Type: 'bind', Target: '/x' }), /invalid mount config for type "bind": field Source must not be empty/);
  assert.throws(() => parseApiMount({ Type: 'volume' }), /field Target must not be empty/);
  assert.throws(() => parseApiMount({ Type: 'tmpfs', Source: 'x', Target: '/t' }), /field Source must not be specified/);
  assert.throws(() => parseApiMount({ Type: 'nfs', Target: '/t' }), /mount type unknown/);
  assert.throws(() => parseApiMount({ Type: 'volume', Target: '/' }), /destination can't be '\/'/);
  const t = parseApiMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 } });
  assert.deepEqual(t.tmpfsOptions, ['size=1024', 'mode=1777']);
  const v = parseApiMount({ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } });
  assert.equal(v.copyData, false);
  assert.deepEqual(v.volumeLabels, { a: 'b' });
  assert.equal(parseApiMount({ Type: 'bind', Source: '/s', Target: '/t' }).createSource, false);
});

test('--tmpfs options and --volumes-from modes', () => {
  assert.deepEqual(parseTmpfs('/run', 'size=64m,mode=1777').tmpfsOptions, ['size=64m', 'mode=1777']);
  assert.throws(() => parseTmpfs('/run', 'bogus=1'), /invalid tmpfs option/);
  assert.deepEqual(parseVolumesFrom('web:ro'), { container: 'web', mode: 'ro' });
  assert.throws(() => parseVolumesFrom('web:sideways'), /invalid mode for volumes-from/);
});

test('file modes become Go os.FileMode bits', () => {
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o100644), 0o644);
});

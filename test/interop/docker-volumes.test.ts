import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

/** The stock docker CLI's volume, -v and cp paths against berthd. */
const hasDocker = spawnSync('docker', ['--version']).status === 0;
const skip = !hasDocker && 'docker CLI not installed';

let d: TestDaemon;
let work: string;
before(async () => {
  if (!hasDocker) return;
  d = await TestDaemon.start();
  work = mkdtempSync('/var/tmp/berth-test-dockercp-');
});
after(async () => {
  await d?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const ok = async (args: string[]) => {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('docker volume create, ls, inspect and rm', { skip }, async () => {
  assert.equal(await ok(['volume', 'create', '--label', 'team=a', 'dk-vol']), 'dk-vol\n');
  assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'label=team=a']), 'dk-vol\n');
  assert.match(await ok(['volume', 'ls']), /^DRIVER\s+VOLUME NAME\nlocal\s+dk-vol\n/);
  const info = await ok(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels.team}} {{.Mountpoint}}', 'dk-vol']);
  assert.equal(info, `dk-vol local local a ${join(d.dataRoot, 'volumes', 'dk-vol', '_data')}\n`);
  assert.equal(await ok(['volume', 'rm', 'dk-vol']), 'dk-vol\n');
  const gone = await d.docker(['volume', 'inspect', 'dk-vol']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /no such volume/);
});

test('docker run -v with a named volume, a bind and an anonymous volume', { skip }, async () => {
  const bind = join(work, 'bind');
  mkdirSync(bind);
  writeFileSync(join(bind, 'host.txt'), 'from host\n');
  const out = await ok(['run', '--name', 'dk-run', '-v', 'dk-data:/data', '-v', `${bind}:/b:ro`, '-v', '/anon', 'busybox', 'sh', '-c',
    'cat /b/host.txt; echo saved > /data/saved; touch /b/no 2>/dev/null || echo ro']);
  assert.equal(out, 'from host\nro\n');
  assert.equal(await ok(['run', '--rm', '-v', 'dk-data:/data', 'busybox', 'cat', '/data/saved']), 'saved\n');
  const mounts = JSON.parse(await ok(['inspect', '--format', '{{json .Mounts}}', 'dk-run']));
  const byDest = Object.fromEntries(mounts.map((m: { Destination: string }) => [m.Destination, m]));
  assert.equal(byDest['/data'].Name, 'dk-data');
  assert.equal(byDest['/b'].Type, 'bind');
  assert.equal(byDest['/b'].RW, false);
  assert.match(byDest['/anon'].Name, /^[0-9a-f]{64}$/);
  const inUse = await d.docker(['volume', 'rm', 'dk-data']);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /remove dk-data: volume is in use/);
  await ok(['rm', '-v', 'dk-run']);
  assert.notEqual((await d.docker(['volume', 'inspect', byDest['/anon'].Name])).code, 0);
  await ok(['volume', 'rm', 'dk-data']);
});

test('docker cp copies files and directories both ways', { skip }, async () => {
  await ok(['run', '--name', 'dk-cp', 'busybox', 'sh', '-c', 'mkdir -p /src/d && echo a > /src/d/a && echo top > /src/top']);
  await ok(['cp', 'dk-cp:/src/top', join(work, 'top')]);
  assert.equal(readFileSync(join(work, 'top'), 'utf8'), 'top\n');
  await ok(['cp', 'dk-cp:/src/d', join(work, 'd-copy')]);
  assert.equal(readFileSync(join(work, 'd-copy', 'a'), 'utf8'), 'a\n');
  mkdirSync(join(work, 'dot'));
  await ok(['cp', 'dk-cp:/src/.', join(work, 'dot')]);
  assert.equal(readFileSync(join(work, 'dot', 'd', 'a'), 'utf8'), 'a\n');
  assert.equal(existsSync(join(work, 'dot', 'src')), false);

  mkdirSync(join(work, 'up', 'inner'), { recursive: true });
  writeFileSync(join(work, 'up', 'inner', 'u'), 'u\n');
  await ok(['cp', join(work, 'up'), 'dk-cp:/uploaded']);
  await ok(['cp', join(work, 'top'), 'dk-cp:/src/d/']);
  await ok(['cp', 'dk-cp:/uploaded/inner/u', join(work, 'u-back')]);
  assert.equal(readFileSync(join(work, 'u-back'), 'utf8'), 'u\n');
  await ok(['cp', 'dk-cp:/src/d/top', join(work, 'top-back')]);
  assert.equal(readFileSync(join(work, 'top-back'), 'utf8'), 'top\n');

  const missing = await d.docker(['cp', 'dk-cp:/nope', join(work, 'x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Could not find the file \/nope in container dk-cp/);
  await ok(['rm', 'dk-cp']);
});

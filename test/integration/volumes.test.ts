import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { importVariant } from '../helpers/images.js';

let d: TestDaemon;
let hostDir: string;
before(async () => {
  d = await TestDaemon.start();
  hostDir = mkdtempSync('/var/tmp/berth-test-host-');
});
after(async () => {
  await d?.stop();
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

const ok = async (args: string[]) => {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('volume commands', () => {
  test('create, ls with filters, inspect and rm', async () => {
    assert.equal(await ok(['volume', 'create', '--label', 'tier=db', 'vol-a']), 'vol-a\n');
    await ok(['volume', 'create', 'vol-b']);
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'label=tier=db']), 'vol-a\n');
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=vol-']), 'vol-a\nvol-b\n');
    assert.equal(await ok(['volume', 'ls', '--format', '{{.Name}}:{{.Driver}}', '--filter', 'name=vol-b']), 'vol-b:local\n');
    const table = await ok(['volume', 'ls', '--filter', 'name=vol-a']);
    assert.match(table, /^DRIVER\s+VOLUME NAME\nlocal\s+vol-a\n$/);
    const inspect = JSON.parse(await ok(['volume', 'inspect', 'vol-a']));
    assert.equal(inspect[0].Name, 'vol-a');
    assert.equal(inspect[0].Driver, 'local');
    assert.equal(inspect[0].Scope, 'local');
    assert.deepEqual(inspect[0].Labels, { tier: 'db' });
    assert.equal(inspect[0].Mountpoint, join(d.dataRoot, 'volumes', 'vol-a', '_data'));
    assert.match(inspect[0].CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(await ok(['inspect', '--format', '{{.Name}} {{.Scope}}', 'vol-a']), 'vol-a local\n');
    assert.equal(await ok(['volume', 'rm', 'vol-a', 'vol-b']), 'vol-a\nvol-b\n');
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=vol-']), '');
    assert.equal(existsSync(join(d.dataRoot, 'volumes', 'vol-a')), false);
  });

  test('the API answers docker\'s shapes and errors', async () => {
    const created = await d.api('POST', '/volumes/create', { Name: 'api-vol', Labels: { a: '1' } });
    assert.equal(created.status, 201);
    assert.equal(created.json.Name, 'api-vol');
    const list = await d.api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ name: ['api-vol'] }))}`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.Warnings, []);
    assert.deepEqual(list.json.Volumes.map((v: { Name: string }) => v.Name), ['api-vol']);
    const missing = await d.api('GET', '/volumes/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'get nope: no such volume');
    const bad = await d.api('POST', '/volumes/create', { Name: 'a/b' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /includes invalid characters for a local volume name/);
    const badFilter = await d.api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ color: ['red'] }))}`);
    assert.equal(badFilter.status, 400);
    assert.equal((await d.api('DELETE', '/volumes/api-vol')).status, 204);
    assert.equal((await d.api('DELETE', '/volumes/api-vol')).status, 404);
  });

  test('volume rm refuses a volume in use, and -f removes it', async () => {
    await ok(['create', '--name', 'holder', '-v', 'busy:/data', 'busybox', 'true']);
    const id = (await ok(['inspect', '--format', '{{.Id}}', 'holder'])).trim();
    const api = await d.api('DELETE', '/volumes/busy');
    assert.equal(api.status, 409);
    assert.equal(api.json.message, `remove busy: volume is in use - [${id}]`);
    const cli = await d.berth(['volume', 'rm', 'busy']);
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr, `Error response from daemon: remove busy: volume is in use - [${id}]\n`);
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'dangling=false', '--filter', 'name=busy']), 'busy\n');
    assert.equal(await ok(['volume', 'rm', '-f', 'busy']), 'busy\n');
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=busy']), '');
    await ok(['rm', 'holder']);
  });

  test('prune removes unused anonymous volumes, and with -a named ones too', async () => {
    await ok(['volume', 'create', 'keep-named']);
    await ok(['volume', 'create', '--label', 'com.docker.volume.anonymous=', 'f'.repeat(64)]);
    const pruned = await ok(['volume', 'prune', '-f']);
    assert.match(pruned, new RegExp(`Deleted Volumes:\\n${'f'.repeat(64)}\\n`));
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=keep-named']), 'keep-named\n');
    const all = await ok(['volume', 'prune', '-f', '-a', '--filter', 'label!=keep']);
    assert.match(all, /keep-named/);
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=keep-named']), '');
  });

  test('volumes and their labels survive a daemon restart; half-made ones are cleaned', async () => {
    await ok(['volume', 'create', '--label', 'k=v', 'durable']);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(d.dataRoot, 'volumes', 'half-made', '_data'), { recursive: true });
    await d.crash();
    await d.launch();
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'label=k=v']), 'durable\n');
    assert.equal(existsSync(join(d.dataRoot, 'volumes', 'half-made')), false);
    await ok(['volume', 'rm', 'durable']);
  });

  test('a bind volume (type=none,o=bind) shows a host directory', async () => {
    writeFileSync(join(hostDir, 'through-bind'), 'b\n');
    await ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${hostDir}`, 'bindvol']);
    assert.equal(await ok(['run', '--rm', '-v', 'bindvol:/b', 'busybox', 'cat', '/b/through-bind']), 'b\n');
    await ok(['volume', 'rm', 'bindvol']);
    assert.equal(readFileSync(join(hostDir, 'through-bind'), 'utf8'), 'b\n');
  });

  test('a volume with driver options is mounted while used and unmounted after', async () => {
    await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m', 'ramvol']);
    const df = await ok(['run', '--rm', '-v', 'ramvol:/r', 'busybox', 'sh', '-c', 'df -k /r | tail -1']);
    assert.match(df, /^tmpfs\s+2048\s/);
    const mountpoint = join(d.dataRoot, 'volumes', 'ramvol', '_data');
    // The unmount follows the container's removal in the background; wait for it, bounded.
    let mounted = true;
    for (let i = 0; i < 100 && mounted; i++) {
      mounted = readFileSync('/proc/self/mountinfo', 'utf8').includes(mountpoint);
      if (mounted) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(mounted, false);
    const bad = await d.berth(['volume', 'create', '-o', 'colour=red', 'badopts']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid option key: "colour"/);
    await ok(['volume', 'rm', 'ramvol']);
  });
});

describe('mounts', () => {
  test('named volume data survives rm and two running containers share it live', async () => {
    await ok(['run', '--name', 'writer', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo kept > /data/file']);
    await ok(['rm', 'writer']);
    assert.equal(await ok(['run', '--rm', '-v', 'shared:/data', 'busybox', 'cat', '/data/file']), 'kept\n');
    await ok(['run', '-d', '--name', 'live-a', '-v', 'shared:/s', 'busybox', 'sleep', '60']);
    await ok(['run', '-d', '--name', 'live-b', '-v', 'shared:/s:ro', 'busybox', 'sleep', '60']);
    const write = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'echo live > /s/now'], HostConfig: { VolumesFrom: ['live-a'] } });
    assert.equal(write.status, 201);
    await d.api('POST', `/containers/${write.json.Id}/start`);
    await d.api('POST', `/containers/${write.json.Id}/wait`);
    assert.equal(await ok(['run', '--rm', '--volumes-from', 'live-b', 'busybox', 'cat', '/s/now']), 'live\n');
    const ro = await d.berth(['run', '--rm', '--volumes-from', 'live-b', 'busybox', 'touch', '/s/x']);
    assert.match(ro.stderr, /Read-only file system/);
    await ok(['rm', '-f', 'live-a', 'live-b', write.json.Id]);
  });

  test('a new volume is filled from the image, keeping owners, modes and symlinks', async () => {
    await importVariant(d, 'copyup:1', [
      'mkdir -p data/sub', 'echo seed > data/seed', 'chown 1000:1001 data/seed', 'chmod 640 data/seed',
      'ln -s /etc/passwd data/link', 'chmod 1777 data/sub',
    ].join(' && '));
    const out = await ok(['run', '--rm', '-v', 'filled:/data', 'copyup:1', 'sh', '-c',
      'cat /data/seed; stat -c "%u:%g %a" /data/seed; readlink /data/link; stat -c %a /data/sub']);
    assert.equal(out, 'seed\n1000:1001 640\n/etc/passwd\n1777\n');
    // A volume that already holds data is not filled again.
    await ok(['run', '--rm', '-v', 'filled:/data', 'copyup:1', 'rm', '/data/seed']);
    assert.equal(await ok(['run', '--rm', '-v', 'filled:/data', 'copyup:1', 'ls', '/data']), 'link\nsub\n');
    const nocopy = await ok(['run', '--rm', '--mount', 'type=volume,src=empty-one,dst=/data,volume-nocopy', 'copyup:1', 'ls', '-A', '/data']);
    assert.equal(nocopy, '');
  });

  test('copy-up resolves a symlinked mount path inside the image, never on the host', async () => {
    // /data in the image points far above the root; resolved in the root it is the image's /etc.
    await importVariant(d, 'hostile:1', 'ln -s ../../../../../../etc data && echo image-only > etc/marker');
    const out = await ok(['run', '--rm', '-v', 'trap:/data', 'hostile:1', 'ls', '/data']);
    assert.match(out, /marker/);
    assert.doesNotMatch(out, /os-release|fstab/);
  });

  test('-v binds a host directory, creating it when missing; --mount refuses a missing source', async () => {
    writeFileSync(join(hostDir, 'from-host'), 'host\n');
    assert.equal(await ok(['run', '--rm', '-v', `${hostDir}:/h:ro`, 'busybox', 'cat', '/h/from-host']), 'host\n');
    const made = join(hostDir, 'made', 'deep');
    await ok(['run', '--rm', '-v', `${made}:/m`, 'busybox', 'touch', '/m/x']);
    assert.equal(existsSync(join(made, 'x')), true);
    const before = await ok(['ps', '-aq']);
    const missing = join(hostDir, 'not-there');
    const r = await d.berth(['run', '--rm', '--mount', `type=bind,source=${missing},target=/x`, 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${missing}`));
    assert.equal(existsSync(missing), false);
    assert.equal(await ok(['ps', '-aq']), before);
  });

  test('relative container paths and bad modes are refused with docker\'s wording', async () => {
    const rel = await d.berth(['create', '-v', 'named:relative/path', 'busybox']);
    assert.equal(rel.code, 125);
    assert.match(rel.stderr, /invalid volume specification: 'named:relative\/path'/);
    const mode = await d.berth(['create', '-v', `${hostDir}:/x:bogus`, 'busybox']);
    assert.match(mode.stderr, /invalid mode: bogus/);
    const api = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'volume', Target: 'rel' }] } });
    assert.equal(api.status, 400);
    assert.match(api.json.message, /invalid mount path: 'rel' mount path must be absolute/);
    assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=named']), '');
  });

  test('tmpfs mounts from --tmpfs and --mount type=tmpfs', async () => {
    const out = await ok(['run', '--rm', '--tmpfs', '/t1:size=1m', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=2m,tmpfs-mode=1770', 'busybox', 'sh', '-c',
      'df -k /t1 /t2 | tail -2 | awk \'{print $1, $2}\'; stat -c %a /t2']);
    assert.equal(out, 'tmpfs 1024\ntmpfs 2048\n1770\n');
  });

  test('--read-only keeps volumes, binds and tmpfs writable', async () => {
    const out = await ok(['run', '--rm', '--read-only', '-v', 'rw-vol:/v', '-v', `${hostDir}:/b`, '--tmpfs', '/t', 'busybox', 'sh', '-c',
      'touch /v/a /b/ro-test /t/a && echo writable; touch /root-file 2>&1 || true']);
    assert.match(out, /^writable\n.*Read-only file system/s);
  });

  test('image VOLUMEs and -v /path become anonymous volumes that rm -v removes', async () => {
    await importVariant(d, 'withvol:1', 'mkdir -p cache && echo c > cache/c', ['CMD ["sh"]', 'VOLUME /cache']);
    await ok(['create', '--name', 'anon', '-v', '/scratch', 'withvol:1']);
    const mounts = JSON.parse(await ok(['inspect', '--format', '{{json .Mounts}}', 'anon']));
    assert.deepEqual(mounts.map((m: { Destination: string }) => m.Destination).sort(), ['/cache', '/scratch']);
    for (const m of mounts) {
      assert.equal(m.Type, 'volume');
      assert.match(m.Name, /^[0-9a-f]{64}$/);
      assert.equal(m.Driver, 'local');
      assert.equal(m.RW, true);
      const v = JSON.parse(await ok(['volume', 'inspect', m.Name]));
      assert.deepEqual(v[0].Labels, { 'com.docker.volume.anonymous': '' });
    }
    await ok(['start', 'anon']);
    const psMounts = await ok(['ps', '-a', '--filter', 'name=anon', '--format', '{{.Mounts}}']);
    assert.equal(psMounts.trim().split(',').length, 2);
    await ok(['rm', '-v', 'anon']);
    for (const m of mounts) assert.equal((await d.api('GET', `/volumes/${m.Name}`)).status, 404);
    await ok(['run', '--rm', '--name', 'anon-rm', 'withvol:1', 'cat', '/cache/c']);
    const left = (await d.api('GET', '/volumes')).json.Volumes.filter((v: { Labels: Record<string, string> | null }) => v.Labels?.['com.docker.volume.anonymous'] !== undefined);
    assert.deepEqual(left, []);
  });

  test('inspect lists Mounts as docker does', async () => {
    await ok(['create', '--name', 'shown', '-v', 'shown-vol:/v:ro', '-v', `${hostDir}:/b`, '--tmpfs', '/t', 'busybox']);
    const mounts = JSON.parse(await ok(['inspect', '--format', '{{json .Mounts}}', 'shown']));
    assert.deepEqual(mounts, [
      { Type: 'volume', Name: 'shown-vol', Source: join(d.dataRoot, 'volumes', 'shown-vol', '_data'), Destination: '/v', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
      { Type: 'bind', Source: hostDir, Destination: '/b', Mode: '', RW: true, Propagation: 'rprivate' },
    ]);
    await ok(['rm', 'shown']);
  });
});

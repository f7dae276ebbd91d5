import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { request } from 'node:http';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
  const r = await d.berth(['run', '-d', '--name', 'box', '-e', 'FROM_RUN=1', 'busybox', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await d?.stop();
});

/** Splits Docker's multiplexed frames into stdout and stderr text. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    const text = buf.subarray(i + 8, i + 8 + size).toString();
    if (buf[i] === 2) stderr += text;
    else stdout += text;
    i += 8 + size;
  }
  return { stdout, stderr };
}

describe('berth exec', () => {
  test('runs a command in a running container and returns its exit code', async () => {
    const r = await d.berth(['exec', 'box', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
  });

  test('-i forwards stdin and closes it at its end', async () => {
    const r = await d.berth(['exec', '-i', 'box', 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
    assert.equal(r.stdout, 'line one\nline two\ndone\n');
    assert.equal(r.code, 0);
  });

  test('-e, -u and -w apply, over the container environment', async () => {
    const r = await d.berth(['exec', '-e', 'FOO=bar', '-u', 'nobody', '-w', '/tmp', 'box', 'sh', '-c', 'echo $FOO $FROM_RUN $(id -u) $(pwd)']);
    assert.equal(r.stdout, 'bar 1 65534 /tmp\n');
  });

  test('-t gives the command a terminal', async () => {
    const r = await d.berth(['exec', '-t', 'box', 'sh', '-c', 'tty; echo $TERM']);
    assert.equal(r.stdout.replace(/\r/g, ''), '/dev/pts/0\nxterm\n');
    assert.equal(r.code, 0);
  });

  test('a missing command exits 127, a non-executable one 126', async () => {
    const missing = await d.berth(['exec', 'box', 'no-such-command']);
    assert.equal(missing.code, 127);
    assert.match(missing.stdout + missing.stderr, /no-such-command.*not found/);
    const notExec = await d.berth(['exec', 'box', '/etc']);
    assert.equal(notExec.code, 126);
  });

  test('-d returns at once and the command keeps running', async () => {
    const r = await d.berth(['exec', '-d', 'box', 'sh', '-c', 'echo started > /tmp/started; sleep 1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    let seen = '';
    for (let i = 0; i < 100 && seen === ''; i++) {
      seen = (await d.berth(['exec', 'box', 'cat', '/tmp/started'])).stdout;
    }
    assert.equal(seen, 'started\n');
    const ps = await d.berth(['exec', 'box', 'ps']);
    assert.match(ps.stdout, /sleep 1000\n[\s\S]*sleep 1000/);
  });

  test('--privileged gives the command every capability', async () => {
    const plain = await d.berth(['exec', 'box', 'grep', 'CapEff', '/proc/self/status']);
    const priv = await d.berth(['exec', '--privileged', 'box', 'grep', 'CapEff', '/proc/self/status']);
    const sysAdmin = (text: string) => (BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(text)?.[1] ?? '0'}`) >> 21n) & 1n;
    assert.equal(sysAdmin(plain.stdout), 0n, plain.stdout);
    assert.equal(sysAdmin(priv.stdout), 1n, priv.stdout + priv.stderr);
  });

  test('refuses a stopped container', async () => {
    await d.berth(['create', '--name', 'idle', 'busybox']);
    const r = await d.berth(['exec', 'idle', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: container [0-9a-f]{64} is not running/);
  });
});

describe('exec API', () => {
  test('create, start without upgrade, then inspect the exit code', async () => {
    const c = await d.api('POST', '/v1.45/containers/box/exec', { AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'echo hi; echo oops >&2; exit 7'] });
    assert.equal(c.status, 201, c.body);
    const id = c.json.Id as string;
    const before = await d.api('GET', `/v1.45/exec/${id}/json`);
    assert.equal(before.json.Running, false);
    assert.equal(before.json.ExitCode, null);
    const s = await rawStart(id, JSON.stringify({ Detach: false, Tty: false }), false);
    assert.equal(s.status, 200);
    assert.equal(s.contentType, 'application/vnd.docker.multiplexed-stream');
    assert.deepEqual(demux(s.body), { stdout: 'hi\n', stderr: 'oops\n' });
    const info = await d.api('GET', `/v1.45/exec/${id}/json`);
    assert.equal(info.json.ExitCode, 7);
    assert.equal(info.json.Running, false);
    assert.equal(info.json.ContainerID.length, 64);
    assert.equal(info.json.ProcessConfig.entrypoint, 'sh');
    assert.deepEqual(info.json.ProcessConfig.arguments, ['-c', 'echo hi; echo oops >&2; exit 7']);
  });

  test('a streaming body that never ends carries stdin after the JSON (dockerode)', async () => {
    const c = await d.api('POST', '/v1.45/containers/box/exec', { AttachStdin: true, AttachStdout: true, Cmd: ['head', '-n', '1'] });
    const id = c.json.Id as string;
    const s = await rawStart(id, JSON.stringify({ Detach: false, Tty: false }), true, 'typed\n');
    assert.deepEqual(demux(s.body), { stdout: 'typed\n', stderr: '' });
  });

  test('a stopped container gets 409, an unknown exec 404', async () => {
    const r = await d.api('POST', '/v1.45/containers/idle2/exec', { Cmd: ['true'] });
    assert.equal(r.status, 404);
    await d.berth(['create', '--name', 'idle2', 'busybox']);
    const c = await d.api('POST', '/v1.45/containers/idle2/exec', { Cmd: ['true'] });
    assert.equal(c.status, 409);
    assert.match(c.json.message, /is not running/);
    assert.equal((await d.api('GET', '/v1.45/exec/nope/json')).status, 404);
  });
});

/**
 * POST /exec/{id}/start without an upgrade. With `keepOpen` the body is sent
 * chunked and never ended, as docker-modem does, then `stdin` follows.
 */
function rawStart(id: string, body: string, keepOpen: boolean, stdin = ''): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: `/v1.45/exec/${id}/start`, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks) });
        req.destroy();
      });
    });
    req.on('error', reject);
    if (keepOpen) {
      req.write(body);
      if (stdin) setImmediate(() => req.write(stdin));
    } else {
      req.end(body);
    }
  });
}

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';
import { Terminal, hasTmux } from '../helpers/terminal.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

describe('run -i without a terminal', () => {
  test('pipes stdin to the container and ends with it', async () => {
    const r = await d.berth(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\n' });
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 0);
  });

  test('a container without -i reads no stdin', async () => {
    const r = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'cat; echo after'], { input: 'ignored\n' });
    assert.equal(r.stdout, 'after\n');
  });

  test('attach with stdin over the API feeds a container created with OpenStdin', async () => {
    const c = await d.api('POST', '/v1.45/containers/create', { Image: 'busybox', Cmd: ['head', '-n', '1'], OpenStdin: true, StdinOnce: true });
    assert.equal(c.status, 201, c.body);
    const out = await attachRaw(c.json.Id, 'through the socket\n', async () => {
      assert.equal((await d.api('POST', `/v1.45/containers/${c.json.Id}/start`)).status, 204);
    });
    assert.match(out, /through the socket/);
  });
});

describe('run -it through a real terminal', { skip: !hasTmux && 'tmux not installed' }, () => {
  test('gives an interactive shell the terminal size, follows resizes, detaches and re-attaches', async () => {
    const t = new Terminal(d, 'it');
    try {
      t.start(['run', '-it', '--name', 'shell', 'busybox', 'sh']);
      await t.waitFor(/^\/ #/m);
      t.keys('stty size; tty; echo $((6*7))', 'Enter');
      await t.waitFor(/^30 100\n\/dev\/pts\/0\n42\n/m);
      t.resize(90, 25);
      await t.typeUntil('stty size', /^25 90$/m);
      t.keys('C-p', 'C-q');
      await t.waitFor(/EXIT=0/);
      const ps = await d.berth(['ps', '--filter', 'name=shell', '--format', '{{.Status}}']);
      assert.match(ps.stdout, /^Up /);
    } finally {
      t.stop();
    }
    const back = new Terminal(d, 'attach');
    try {
      back.start(['attach', 'shell'], { cols: 70, rows: 20 });
      back.keys('Enter');
      await back.waitFor(/^\/ #/m);
      back.keys('echo back; stty size; exit 9', 'Enter');
      const screen = await back.waitFor(/EXIT=\d+/);
      assert.match(screen, /^back\n20 70\n/m);
      assert.match(screen, /EXIT=9/);
    } finally {
      back.stop();
    }
    const state = await d.berth(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'shell']);
    assert.equal(state.stdout, 'exited 9\n');
  });

  test('exec -it runs an interactive command in a terminal', async () => {
    await d.berth(['run', '-d', '--name', 'host', 'busybox', 'sleep', '1000']);
    const t = new Terminal(d, 'exec');
    try {
      t.start(['exec', '-it', 'host', 'sh'], { cols: 77, rows: 22 });
      await t.waitFor(/^\/ #/m);
      t.keys('stty size; exit 5', 'Enter');
      const screen = await t.waitFor(/EXIT=\d+/);
      assert.match(screen, /^22 77$/m);
      assert.match(screen, /EXIT=5/);
    } finally {
      t.stop();
    }
  });
});

/** POST /containers/{id}/attach with stdin, upgraded; sends `input` once attached, then runs `then`. Resolves with the output. */
async function attachRaw(id: string, input: string, then: () => Promise<void>): Promise<string> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: d.socket,
      method: 'POST',
      path: `/v1.45/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    req.on('upgrade', (_res, sock) => {
      const chunks: Buffer[] = [];
      sock.on('data', (b: Buffer) => chunks.push(b));
      sock.on('end', () => resolve(Buffer.concat(chunks).toString()));
      sock.write(input);
      then().catch(reject);
    });
    req.on('error', reject);
    req.end();
  });
}

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { request } from 'node:http';
import { TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

async function runReady(args: string[], name: string): Promise<void> {
  const r = await d.berth(['run', '-d', '--name', name, ...args]);
  assert.equal(r.code, 0, r.stderr);
  await until(`${name} ready`, async () => (await d.berth(['logs', name])).stdout.includes('ready'));
}

const trapping = (signal: string, code: number) => ['sh', '-c', `trap "echo got ${signal}; exit ${code}" ${signal}; echo ready; while :; do sleep 0.1; done`];

describe('stop signal and timeout', () => {
  test('stop sends --stop-signal', async () => {
    await runReady(['--stop-signal', 'USR1', 'busybox', ...trapping('USR1', 9)], 'sig');
    assert.equal((await d.berth(['stop', 'sig'])).code, 0);
    assert.equal((await d.berth(['inspect', '--format', '{{.State.ExitCode}} {{.Config.StopSignal}}', 'sig'])).stdout, '9 USR1\n');
  });

  test('--stop-timeout 0 kills at once, without the polite signal', async () => {
    await runReady(['--stop-timeout', '0', 'busybox', ...trapping('TERM', 9)], 'hard');
    assert.equal((await d.berth(['stop', 'hard'])).code, 0);
    assert.equal((await d.berth(['inspect', '--format', '{{.State.ExitCode}} {{.Config.StopTimeout}}', 'hard'])).stdout, '137 0\n');
    assert.doesNotMatch((await d.berth(['logs', 'hard'])).stdout, /got TERM/);
  });

  test("the image's STOPSIGNAL is what restart sends", async () => {
    assert.equal((await d.berth(['create', '--name', 'stopsig-base', 'busybox'])).code, 0);
    assert.equal((await d.berth(['commit', '-c', 'STOPSIGNAL SIGUSR2', 'stopsig-base', 'stopsig:1'])).code, 0);
    await runReady(['stopsig:1', ...trapping('USR2', 3)], 'usr2');
    assert.equal((await d.berth(['inspect', '--format', '{{.Config.StopSignal}}', 'usr2'])).stdout, 'SIGUSR2\n');
    assert.equal((await d.berth(['restart', 'usr2'])).code, 0);
    assert.match((await d.berth(['logs', 'usr2'])).stdout, /got USR2/);
    assert.equal((await d.berth(['inspect', '--format', '{{.State.Status}}', 'usr2'])).stdout, 'running\n');
  });
});

describe('bad input, in docker words', () => {
  test('an unknown signal is refused by run, kill and stop', async () => {
    const run = await d.berth(['run', '--stop-signal', 'FOO', 'busybox', 'true']);
    assert.equal(run.code, 125);
    assert.match(run.stderr, /Invalid signal: FOO/);
    await d.berth(['run', '-d', '--name', 'target', 'busybox', 'sleep', '1000']);
    assert.match((await d.berth(['kill', '-s', 'FOO', 'target'])).stderr, /Error response from daemon: Invalid signal: FOO/);
    assert.match((await d.berth(['stop', '-s', 'FOO', 'target'])).stderr, /Invalid signal: FOO/);
    assert.equal((await d.berth(['inspect', '--format', '{{.State.Status}}', 'target'])).stdout, 'running\n');
  });

  test('exec into a stopped container and attach to an exited one', async () => {
    await d.berth(['run', '--name', 'done', 'busybox', 'true']);
    const id = (await d.berth(['inspect', '--format', '{{.Id}}', 'done'])).stdout.trim();
    const exec = await d.berth(['exec', 'done', 'true']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, new RegExp(`container ${id} is not running`));
    const attach = await d.berth(['attach', 'done']);
    assert.equal(attach.code, 1);
    assert.match(attach.stderr, /You cannot attach to a stopped container, start it first/);
  });

  test('invalid detach keys are refused', async () => {
    await d.berth(['run', '-dit', '--name', 'keys', 'busybox', 'sh']);
    const r = await hijack('/v1.45/containers/keys/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-pp', '', '');
    assert.equal(r.status, 400);
    const c = await d.api('POST', '/v1.45/containers/keys/exec', { Cmd: ['true'], DetachKeys: 'ctrl-' });
    assert.equal(c.status, 400);
    assert.equal(c.json.message, 'Invalid escape keys (ctrl-) provided');
  });
});

describe('detach keys handled by the daemon', () => {
  test('ctrl-p ctrl-q ends an attach on a terminal; the container runs on', async () => {
    await d.berth(['run', '-dit', '--name', 'term', 'busybox', 'sh']);
    const r = await hijack('/v1.45/containers/term/attach?stream=1&stdin=1&stdout=1&stderr=1', '', 'echo mark-$((40+2))\n\x10\x11', 'mark-42');
    assert.equal(r.status, 101);
    assert.match(r.output, /mark-42/);
    assert.equal((await d.berth(['inspect', '--format', '{{.State.Status}}', 'term'])).stdout, 'running\n');
  });

  test('detachKeys picks another sequence, and ctrl-p alone goes through', async () => {
    const r = await hijack('/v1.45/containers/term/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x', '', '\x10echo other-$((1+1))\n\x01x', 'other-2');
    assert.match(r.output, /other-2/);
    assert.equal((await d.berth(['inspect', '--format', '{{.State.Status}}', 'term'])).stdout, 'running\n');
  });

  test("an exec's DetachKeys end its terminal session while the process runs on", async () => {
    const c = await d.api('POST', '/v1.45/containers/term/exec', { Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true, DetachKeys: 'ctrl-x,y' });
    assert.equal(c.status, 201, c.body);
    const id = c.json.Id as string;
    const r = await hijack(`/v1.45/exec/${id}/start`, JSON.stringify({ Detach: false, Tty: true }), 'echo exec-$((2+3))\n\x18y', 'exec-5');
    assert.match(r.output, /exec-5/);
    assert.equal((await d.api('GET', `/v1.45/exec/${id}/json`)).json.Running, true);
  });
});

/**
 * POST `path` upgraded; once `waitFor` shows in the output (or at once) writes
 * `input`, and resolves when the daemon ends the stream.
 */
function hijack(path: string, body: string, input: string, waitFor = ''): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path, headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' } });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, output: '' });
    });
    req.on('upgrade', (res, sock) => {
      let output = '';
      const [before, keys] = splitKeys(input);
      let sentKeys = false;
      sock.on('data', (b: Buffer) => {
        output += b.toString();
        if (!sentKeys && waitFor && output.includes(waitFor)) {
          sentKeys = true;
          sock.write(keys);
        }
      });
      sock.on('end', () => resolve({ status: res.statusCode ?? 0, output }));
      sock.on('error', reject);
      sock.write(before);
      if (!waitFor) sock.write(keys);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The command text, and the detach sequence that follows its last newline. */
function splitKeys(input: string): [string, string] {
  const nl = input.lastIndexOf('\n');
  return [input.slice(0, nl + 1), input.slice(nl + 1)];
}

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.stop();
});

describe('berth run', () => {
  test('prints the output of a foreground container', async () => {
    const r = await d.berth(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.code, 0);
  });

  test("propagates the container's exit code and keeps stdout and stderr apart", async () => {
    const r = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
  });

  test('--rm removes the container after it exits', async () => {
    await d.berth(['run', '--rm', '--name', 'gone', 'busybox', 'true']);
    const r = await d.berth(['ps', '-a', '--filter', 'name=gone', '-q']);
    assert.equal(r.stdout, '');
  });

  test('applies env, workdir, user, hostname, entrypoint and labels', async () => {
    const r = await d.berth([
      'run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', '--hostname', 'box',
      'busybox', 'sh', '-c', 'echo $FOO $(pwd) $(id -u) $(hostname) $HOME',
    ]);
    assert.equal(r.stdout, 'bar /tmp 65534 box /home\n');
    const e = await d.berth(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
    assert.equal(e.stdout, 'via entrypoint\n');
    await d.berth(['create', '--name', 'labelled', '--label', 'tier=web', 'busybox']);
    const l = await d.berth(['inspect', '--format', '{{.Config.Labels.tier}} {{json .Config.Cmd}}', 'labelled']);
    assert.equal(l.stdout, 'web ["sh"]\n');
    await d.berth(['rm', 'labelled']);
  });

  test('--env-file reads variables from a file', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = `${d.execRoot}/env.list`;
    writeFileSync(file, '# comment\nA=1\nB=two words\n');
    const r = await d.berth(['run', '--rm', '--env-file', file, 'busybox', 'sh', '-c', 'echo "$A|$B"']);
    assert.equal(r.stdout, '1|two words\n');
  });

  test('an unknown command exits 127 with docker\'s message', async () => {
    const r = await d.berth(['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /executable file not found/);
  });

  test('an unknown image exits 125 and names the image', async () => {
    const r = await d.berth(['run', '--rm', 'no-such-image']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Unable to find image 'no-such-image:latest' locally/);
  });

  test('a bad flag exits 125 with pflag wording', async () => {
    const r = await d.berth(['run', '--no-such-flag', 'busybox']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /unknown flag: --no-such-flag/);
  });

  test('--network host shares the host network namespace; none has only loopback', async () => {
    const { readlinkSync } = await import('node:fs');
    const hostNs = readlinkSync('/proc/self/ns/net');
    const h = await d.berth(['run', '--rm', '--network', 'host', 'busybox', 'readlink', '/proc/self/ns/net']);
    assert.equal(h.stdout.trim(), hostNs);
    const n = await d.berth(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net']);
    assert.equal(n.stdout.trim(), 'lo');
  });
});

describe('detached containers', () => {
  test('run -d, ps, logs, stop and rm work together', async () => {
    const run = await d.berth(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo started; trap "exit 0" TERM; while true; do sleep 0.1; done']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await d.berth(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo started…"\\s+.*Up .*web\\n`));
    await waitFor(async () => (await d.berth(['logs', 'web'])).stdout === 'started\n');
    const stop = await d.berth(['stop', 'web']);
    assert.equal(stop.stdout, 'web\n');
    const state = await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'web']);
    assert.equal(state.stdout, 'exited 0\n');
    assert.equal((await d.berth(['rm', 'web'])).stdout, 'web\n');
    const gone = await d.berth(['inspect', 'web']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such object: web/);
  });

  test('stop escalates to SIGKILL after -t seconds', async () => {
    await d.berth(['run', '-d', '--name', 'stubborn', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
    const r = await d.berth(['stop', '-t', '1', 'stubborn']);
    assert.equal(r.code, 0);
    const state = await d.berth(['inspect', '-f', '{{.State.ExitCode}}', 'stubborn']);
    assert.equal(state.stdout, '137\n');
    await d.berth(['rm', 'stubborn']);
  });

  test('kill -s sends the signal; wait prints the exit code', async () => {
    await d.berth(['run', '-d', '--name', 'kk', 'busybox', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await d.berth(['kill', '-s', 'USR1', 'kk'])).code, 0);
    const w = await d.berth(['wait', 'kk']);
    assert.equal(w.stdout, '42\n');
    const again = await d.berth(['kill', 'kk']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not running/);
    await d.berth(['rm', 'kk']);
  });

  test('restart runs the container again and keeps its logs', async () => {
    await d.berth(['run', '--name', 'again', 'busybox', 'echo', 'once']);
    assert.equal((await d.berth(['restart', 'again'])).code, 0);
    await d.berth(['wait', 'again']);
    const logs = await d.berth(['logs', 'again']);
    assert.equal(logs.stdout, 'once\nonce\n');
    await d.berth(['rm', 'again']);
  });

  test('rm refuses a running container unless forced', async () => {
    await d.berth(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '100']);
    const r = await d.berth(['rm', 'busy']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container is running: stop the container before removing or force remove/);
    assert.equal((await d.berth(['rm', '-f', 'busy'])).code, 0);
  });

  test('a name already taken is refused and nothing is created', async () => {
    await d.berth(['create', '--name', 'taken', 'busybox']);
    const before = (await d.berth(['ps', '-aq'])).stdout;
    const r = await d.berth(['create', '--name', 'taken', 'busybox']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /The container name "\/taken" is already in use/);
    assert.equal((await d.berth(['ps', '-aq'])).stdout, before);
    await d.berth(['rm', 'taken']);
  });

  test('rename changes the name and frees the old one', async () => {
    await d.berth(['create', '--name', 'old', 'busybox']);
    assert.equal((await d.berth(['rename', 'old', 'new'])).code, 0);
    assert.equal((await d.berth(['inspect', '-f', '{{.Name}}', 'new'])).stdout, '/new\n');
    assert.equal((await d.berth(['inspect', 'old'])).code, 1);
    await d.berth(['rm', 'new']);
  });
});

describe('ps and logs options', () => {
  test('ps -a, -q, -n, -l, --filter, --format and --no-trunc', async () => {
    const a = (await d.berth(['create', '--name', 'p1', '--label', 'k=v', 'busybox'])).stdout.trim();
    const b = (await d.berth(['create', '--name', 'p2', 'busybox'])).stdout.trim();
    assert.equal((await d.berth(['ps', '-q'])).stdout, '');
    const all = (await d.berth(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    assert.deepEqual(all.slice(0, 2), [b.slice(0, 12), a.slice(0, 12)]);
    assert.equal((await d.berth(['ps', '-l', '-q'])).stdout, `${b.slice(0, 12)}\n`);
    assert.equal((await d.berth(['ps', '-n', '2', '-q', '--no-trunc'])).stdout, `${b}\n${a}\n`);
    assert.equal((await d.berth(['ps', '-a', '--filter', 'label=k=v', '--format', '{{.Names}}'])).stdout, 'p1\n');
    const table = await d.berth(['ps', '-a', '--filter', 'status=created', '--format', 'table {{.Names}}\t{{.State}}']);
    assert.match(table.stdout, /^NAMES\s+STATE\n/);
    const json = await d.berth(['ps', '-a', '--filter', 'name=p2', '--format', '{{json .}}']);
    assert.equal(JSON.parse(json.stdout).Names, 'p2');
    const bad = await d.berth(['ps', '--format', '{{.Names']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /template parsing error/);
    await d.berth(['rm', 'p1', 'p2']);
  });

  test('logs --tail, -t and --since', async () => {
    await d.berth(['run', '--name', 'lines', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done']);
    assert.equal((await d.berth(['logs', '--tail', '2', 'lines'])).stdout, 'line4\nline5\n');
    const t = await d.berth(['logs', '-t', '--tail', '1', 'lines']);
    assert.match(t.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line5\n$/);
    assert.equal((await d.berth(['logs', '--since', '1m', 'lines'])).stdout.split('\n').length, 6);
    const future = new Date(Date.now() + 3600_000).toISOString();
    assert.equal((await d.berth(['logs', '--since', future, 'lines'])).stdout, '');
    await d.berth(['rm', 'lines']);
  });

  test('logs -f follows until the container exits', async () => {
    await d.berth(['run', '-d', '--name', 'follow', 'busybox', 'sh', '-c', 'echo a; sleep 0.5; echo b']);
    const r = await d.berth(['logs', '-f', 'follow']);
    assert.equal(r.stdout, 'a\nb\n');
    await d.berth(['rm', 'follow']);
  });

  test('container prune removes stopped containers only', async () => {
    await d.berth(['create', '--name', 'stopped1', 'busybox']);
    await d.berth(['run', '-d', '--name', 'running1', 'busybox', 'sleep', '100']);
    const r = await d.berth(['container', 'prune', '-f']);
    assert.match(r.stdout, /Deleted Containers:/);
    assert.match(r.stdout, /Total reclaimed space:/);
    const left = await d.berth(['ps', '-a', '--format', '{{.Names}}']);
    assert.equal(left.stdout, 'running1\n');
    await d.berth(['rm', '-f', 'running1']);
  });

  test('an unknown container gets docker\'s wording', async () => {
    for (const verb of [['stop'], ['start'], ['rm'], ['logs'], ['kill'], ['restart'], ['wait']]) {
      const r = await d.berth([...verb, 'nope']);
      assert.equal(r.code, 1, verb.join(' '));
      assert.match(r.stderr, /Error response from daemon: No such container: nope/, verb.join(' '));
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not met in time');
}

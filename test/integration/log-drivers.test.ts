import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BERTH, BERTHD, TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
});

/** Each line is "line N" padded to 100 bytes, so sizes are easy to reason about. */
const PRINT = (n: number) => `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); printf 'line %-94s\\n' $i; done`;

/** The numbers of the "line N" lines, checked to be consecutive. */
function numbers(text: string): number[] {
  const ns = text.trim().split('\n').map((l) => Number(/^line (\d+)/.exec(l)?.[1]));
  for (let i = 1; i < ns.length; i++) assert.equal(ns[i], ns[i - 1] + 1, `line ${ns[i - 1]} is followed by ${ns[i]}`);
  return ns;
}

/** The text of each of a container's log files, including one being rotated. */
function logText(id: string): string[] {
  const dir = join(d.dataRoot, 'containers', id);
  return readdirSync(dir).filter((n) => n.includes('ctr.log')).map((n) => {
    try {
      return readFileSync(join(dir, n), 'utf8');
    } catch {
      return '';
    }
  });
}

/** The rotator is done: the keep link names the live log (or neither is there). */
function settled(id: string): boolean {
  const dir = join(d.dataRoot, 'containers', id);
  const ino = (n: string) => {
    try {
      return statSync(join(dir, n)).ino;
    } catch {
      return null;
    }
  };
  return ino('.ctr.log.keep') === ino('ctr.log');
}

/** Waits, a bounded number of times, for a condition on the container's files. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(cond(), 'the log was not rotated');
}

/** The log files of a container in its directory: the live one and the rotated ones. */
function logFiles(id: string): Array<{ name: string; size: number }> {
  const dir = join(d.dataRoot, 'containers', id);
  return readdirSync(dir).filter((n) => /^ctr\.log(\.\d+)?$/.test(n)).map((name) => ({ name, size: statSync(join(dir, name)).size }));
}

describe('log rotation', () => {
  test('max-size and max-file bound the files, and logs reads across them, with --tail and --since', async () => {
    // Four batches of 150 lines (about 22 kB each, past max-size); after each, the container
    // waits until the test has seen the log rotated, so every batch starts a new file.
    const batches = [1, 2, 3, 4].map((k) => `j=0; while [ $j -lt 150 ]; do j=$((j+1)); i=$((i+1)); printf 'line %-94s\\n' $i; done; while [ ! -e /tmp/go${k} ]; do sleep 0.05; done`);
    await d.berth(['run', '-d', '--name', 'rotated', '--network', 'none', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', `i=0; ${batches.join('; ')}`]);
    const id = (await d.api('GET', '/containers/rotated/json')).json.Id as string;
    for (let k = 1; k <= 4; k++) {
      const last = new RegExp(`stdout F line ${150 * k} +\n`);
      await until(() => logText(id).some((t) => last.test(t)) && (logFiles(id).find((f) => f.name === 'ctr.log')?.size ?? 0) < 10_000);
      await d.berth(['exec', 'rotated', 'touch', `/tmp/go${k}`]);
    }
    assert.equal((await d.berth(['wait', 'rotated'])).stdout, '0\n');
    await until(() => settled(id)); // the rotation of the last output may still be under way
    const files = logFiles(id);
    assert.ok(files.length <= 3 && files.length >= 2, JSON.stringify(files));
    // One read gives both the lines and their times.
    const stamped = (await d.berth(['logs', '-t', 'rotated'])).stdout.trim().split('\n');
    const ns = numbers(stamped.map((l) => l.slice(l.indexOf(' ') + 1)).join('\n'));
    assert.equal(ns.at(-1), 600);
    assert.ok(ns[0] > 150, `the oldest batches were rotated away, logs start at ${ns[0]}`);
    // Lines, not records: conmon writes a line cut by its read buffer as two records.
    const tail = await d.berth(['logs', '--tail', String(ns.length - 5), 'rotated']);
    assert.deepEqual(numbers(tail.stdout), ns.slice(5));
    // The last batch began well after the one before it (a handshake lies between).
    const since = stamped[ns.indexOf(451)].split(' ')[0];
    const after = await d.berth(['logs', '--since', since, 'rotated']);
    assert.equal(numbers(after.stdout)[0], 451);
    const hc = (await d.api('GET', '/containers/rotated/json')).json.HostConfig;
    assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } });
  });

  test('logs -f follows through rotations without losing or repeating a line', async () => {
    // max-file is high enough that no file is deleted before the follower has read it.
    // The container waits for /tmp/go, so the follower is attached before the first line.
    await d.berth(['run', '-d', '--name', 'followed', '--network', 'none', '--log-opt', 'max-size=5k', '--log-opt', 'max-file=50', 'busybox', 'sh', '-c',
      `while [ ! -e /tmp/go ]; do sleep 0.05; done; ${PRINT(600)}`]);
    const follower = spawn(process.execPath, [BERTH, '-H', d.host, 'logs', '-f', 'followed']);
    let out = '';
    follower.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    try {
      await d.berth(['exec', 'followed', 'touch', '/tmp/go']);
      assert.equal(await exited, 0);
    } finally {
      follower.kill();
    }
    const ns = numbers(out);
    assert.equal(ns[0], 1);
    assert.equal(ns.at(-1), 600);
  });

  test('containers get a json-file log rotated by default, as docker info says', async () => {
    const info = await d.api('GET', '/info');
    assert.equal(info.json.LoggingDriver, 'json-file');
    await d.berth(['create', '--name', 'plain', 'busybox']);
    const lc = (await d.api('GET', '/containers/plain/json')).json.HostConfig.LogConfig;
    assert.deepEqual(lc, { Type: 'json-file', Config: {} });
    await d.berth(['create', '--name', 'loc', '--log-driver', 'local', 'busybox']);
    assert.equal((await d.api('GET', '/containers/loc/json')).json.HostConfig.LogConfig.Type, 'local');
  });
});

describe('the none driver', () => {
  test('run still shows the output, logs refuses with docker\'s words', async () => {
    const run = await d.berth(['run', '--name', 'silent', '--network', 'none', '--log-driver', 'none', 'busybox', 'echo', 'seen']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'seen\n');
    const logs = await d.berth(['logs', 'silent']);
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, /Error response from daemon: configured logging driver does not support reading/);
    const api = await d.api('GET', '/containers/silent/logs?stdout=1');
    assert.equal(api.status, 501);
  });
});

describe('invalid log options', () => {
  test('are refused and create nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--log-driver', 'syslogx'], /logger: no log driver named 'syslogx' is registered/],
      [['--log-opt', 'bogus=1'], /unknown log opt 'bogus' for json-file log driver/],
      [['--log-opt', 'max-size=10k', '--log-opt', 'max-file=0'], /max-file cannot be less than 1/],
      [['--log-opt', 'max-size=ten'], /invalid max-size: ten/],
      [['--log-driver', 'none', '--log-opt', 'max-size=1k'], /invalid logging opts for driver none/],
    ];
    for (const [args, message] of cases) {
      const r = await d.berth(['create', '--name', 'badlog', ...args, 'busybox']);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.equal((await d.api('GET', '/containers/badlog/json')).status, 404);
  });
});

describe('a reader that stops early', () => {
  test('berth logs piped into head ends quietly with status 0', async () => {
    const run = await d.berth(['run', '--name', 'chatty', 'busybox', 'sh', '-c', PRINT(20000)]);
    assert.equal(run.code, 0);
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BERTH}" -H "${d.host}" logs chatty | head -n 1`]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => { stdout += b; });
      child.stderr.on('data', (b: Buffer) => { stderr += b; });
      child.on('close', (code) => resolve({ code, stderr, stdout }));
    });
    assert.match(r.stdout, /^line 1 /);
    assert.equal(r.stderr, '', 'no EPIPE trace on stderr');
    assert.equal(r.code, 0);
    await d.berth(['rm', 'chatty']);
  });
});

describe('berthd --log-driver and --log-opt', () => {
  let nd: TestDaemon;
  before(async () => {
    nd = await TestDaemon.start({ busybox: true, args: ['--log-driver', 'none'] });
  });
  after(async () => {
    await nd?.stop();
  });

  test('containers that name no driver take the daemon\'s; one that names its own keeps it', async () => {
    assert.equal((await nd.berth(['run', '--name', 'quiet', 'busybox', 'echo', 'hi'])).code, 0);
    assert.equal((await nd.berth(['inspect', '--format', '{{.HostConfig.LogConfig.Type}}', 'quiet'])).stdout, 'none\n');
    const refused = await nd.berth(['logs', 'quiet']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /configured logging driver does not support reading/);
    assert.equal((await nd.berth(['run', '--name', 'chatty2', '--log-driver', 'json-file', 'busybox', 'echo', 'hi'])).code, 0);
    assert.equal((await nd.berth(['logs', 'chatty2'])).stdout, 'hi\n');
    const info = (await nd.api('GET', '/info')).json as { LoggingDriver: string };
    assert.equal(info.LoggingDriver, 'none');
  });

  test('a bad default is refused before the daemon starts', async () => {
    const r = spawnSync(process.execPath, [BERTHD, '--log-driver', 'json-file', '--log-opt', 'max-size=lots', '--exec-root', '/nonexistent-berth-test', '--data-root', '/nonexistent-berth-test'], { encoding: 'utf8' });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /invalid max-size: lots/);
  });
});

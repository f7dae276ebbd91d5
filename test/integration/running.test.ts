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

describe('berth top', () => {
  test("lists the container's processes with ps's columns", async () => {
    await d.berth(['run', '-d', '--name', 'topped', 'busybox', 'sh', '-c', 'sleep 999 & sleep 998']);
    let r = await d.berth(['top', 'topped']);
    for (let i = 0; i < 100 && !/sleep 999/.test(r.stdout); i++) r = await d.berth(['top', 'topped']);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trim().split('\n');
    assert.match(header, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.equal(rows.length, 2, r.stdout);
    assert.ok(rows.some((l) => /sleep 999$/.test(l)));
    assert.ok(rows.some((l) => /sleep 998$/.test(l)));
    const custom = await d.berth(['top', 'topped', '-o', 'pid,comm']);
    assert.match(custom.stdout, /^PID\s+COMMAND\n/);
    assert.equal(custom.stdout.trim().split('\n').length, 3);
  });

  test('the API answers Titles and Processes, and 409 for a stopped container', async () => {
    const r = await d.api('GET', '/v1.45/containers/topped/top?ps_args=-o%20pid,args');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.Titles, ['PID', 'COMMAND']);
    assert.ok(r.json.Processes.some((p: string[]) => p[1] === 'sleep 999'));
    await d.berth(['create', '--name', 'still', 'busybox']);
    assert.equal((await d.api('GET', '/v1.45/containers/still/top')).status, 409);
  });
});

describe('berth pause and unpause', () => {
  test('freezes the processes, shows Paused, refuses exec, and thaws them', async () => {
    await d.berth(['run', '-d', '--name', 'frozen', 'busybox', 'sleep', '1000']);
    const p = await d.berth(['pause', 'frozen']);
    assert.equal(p.stdout, 'frozen\n');
    assert.equal(p.code, 0, p.stderr);
    const ps = await d.berth(['ps', '--filter', 'name=frozen', '--format', '{{.Status}}|{{.State}}']);
    assert.match(ps.stdout, /^Up .* \(Paused\)\|paused\n$/);
    const inspect = await d.berth(['inspect', '--format', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'frozen']);
    assert.equal(inspect.stdout, 'paused true true\n');
    const state = (await d.api('GET', '/v1.45/containers/frozen/json')).json.State.Pid as number;
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(`/proc/${state}/status`, 'utf8'), /State:\s+[SD]/);
    const again = await d.berth(['pause', 'frozen']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is already paused/);
    const exec = await d.berth(['exec', 'frozen', 'true']);
    assert.match(exec.stderr, /is paused, unpause the container before exec/);
    const u = await d.berth(['unpause', 'frozen']);
    assert.equal(u.stdout, 'frozen\n');
    assert.equal((await d.berth(['exec', 'frozen', 'echo', 'thawed'])).stdout, 'thawed\n');
    const notPaused = await d.berth(['unpause', 'frozen']);
    assert.match(notPaused.stderr, /is not paused/);
  });

  test('a paused container can be stopped and force-removed', async () => {
    await d.berth(['run', '-d', '--name', 'icy', 'busybox', 'sleep', '1000']);
    await d.berth(['pause', 'icy']);
    const stop = await d.berth(['stop', '-t', '0', 'icy']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match((await d.berth(['inspect', '--format', '{{.State.Status}}', 'icy'])).stdout, /^exited/);
    await d.berth(['start', 'icy']);
    await d.berth(['pause', 'icy']);
    const rm = await d.berth(['rm', '-f', 'icy']);
    assert.equal(rm.code, 0, rm.stderr);
  });
});

describe('berth events', () => {
  test('--since and --until replay past events; --filter and --format select and shape them', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const id = (await d.berth(['run', '-d', '--name', 'evented', 'busybox', 'sleep', '1000'])).stdout.trim();
    await d.berth(['pause', 'evented']);
    await d.berth(['unpause', 'evented']);
    await d.berth(['rm', '-f', 'evented']);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const all = await d.berth(['events', '--since', since, '--until', until, '--filter', `container=${id}`]);
    assert.equal(all.code, 0, all.stderr);
    const actions = all.stdout.trim().split('\n').map((l) => l.split(' ')[2]);
    assert.deepEqual(actions, ['create', 'start', 'pause', 'unpause', 'kill', 'die', 'destroy'].filter((a) => actions.includes(a)));
    assert.ok(actions.includes('pause') && actions.includes('unpause') && actions.includes('die'));
    assert.match(all.stdout, new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z container create ${id} \\(image=busybox, name=evented\\)$`, 'm'));
    const paused = await d.berth(['events', '--since', since, '--until', until, '--filter', 'event=pause', '--filter', `container=${id}`, '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.equal(paused.stdout, 'pause evented\n');
  });
});

describe('berth stats', () => {
  test('--no-stream shows CPU, memory against the limit, and pids', async () => {
    await d.berth(['run', '-d', '--name', 'busy', '-m', '32m', 'busybox', 'sh', '-c', 'while :; do :; done']);
    const r = await d.berth(['stats', '--no-stream', 'busy']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trim().split('\n');
    assert.match(header, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    const m = /^([0-9a-f]{12})\s+busy\s+([\d.]+)%\s+\S+ \/ 32MiB\s+[\d.]+%\s+[\d.]+k?B \/ [\d.]+k?B\s+\S+ \/ \S+\s+1$/.exec(row);
    assert.ok(m, row);
    assert.ok(Number(m[2]) > 1, `a busy loop should use CPU: ${row}`);
    await d.berth(['rm', '-f', 'busy']);
  });

  test('the API answers one reading (one-shot) or a stream of them', async () => {
    await d.berth(['run', '-d', '--name', 'calm', '-m', '64m', 'busybox', 'sleep', '1000']);
    const one = await d.api('GET', '/v1.45/containers/calm/stats?stream=0&one-shot=1');
    assert.equal(one.status, 200);
    assert.equal(one.json.name, '/calm');
    assert.equal(one.json.memory_stats.limit, 64 * 1024 * 1024);
    assert.ok(one.json.memory_stats.usage > 0);
    assert.equal(one.json.pids_stats.current, 1);
    assert.ok(one.json.cpu_stats.cpu_usage.total_usage > 0);
    assert.equal(one.json.preread, '0001-01-01T00:00:00Z');
    const { request } = await import('node:http');
    const readings = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: '/v1.45/containers/calm/stats' }, (res) => {
        let lines = 0;
        res.on('data', (b: Buffer) => {
          lines += b.toString().split('\n').filter(Boolean).length;
          if (lines >= 2) {
            req.destroy();
            resolve(lines);
          }
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      req.end();
    });
    assert.ok(readings >= 2);
  });
});

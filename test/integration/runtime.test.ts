import { describe, it, before, after, type TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  buildSpec, openRuntime, parseCgroupLayout, readLog, type ContainerSpecInput, type LogRecord, type Runtime,
} from '../../src/runtime/index.js';
import { realCgroupHost } from '../../src/runtime/cgroups.js';
import { execFileText } from '../../src/util/exec.js';
import { isEngineError } from '../../src/util/errors.js';

const here = dirname(fileURLToPath(import.meta.url)); // build/test/integration
const repo = resolve(here, '../../..');
const runtimeIndexUrl = pathToFileURL(resolve(here, '../../src/runtime/index.js')).href;

let scratch: string;
let rootfs: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-runtime-it-'));
  rootfs = join(scratch, 'rootfs');
  await mkdir(rootfs);
  await execFileText('sh', [join(repo, 'scripts/make-busybox-rootfs.sh'), join(scratch, 'busybox.tar')]);
  await execFileText('tar', ['-C', rootfs, '-xf', join(scratch, 'busybox.tar')]);
});

after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
const newId = (): string => `rt${process.pid}x${Date.now().toString(36)}x${counter++}`;

interface Env {
  root: string;
  rt: Runtime;
  ids: string[];
}

/**
 * A fresh exec root per test, long enough that conmon's attach socket path passes the
 * 108-byte sun_path limit; everything started in it is force-deleted afterwards.
 */
async function setup(t: TestContext): Promise<Env> {
  const root = await mkdtemp(join(tmpdir(), `berth-rt-exec-root-with-a-deliberately-long-name-for-socket-paths-`));
  const rt = await openRuntime({ execRoot: root });
  const env: Env = { root, rt, ids: [] };
  t.after(async () => {
    for (const id of env.ids) {
      await rt.delete(id, undefined, { force: true }).catch(() => undefined);
      const p = await rt.probe(id).catch(() => null);
      if (p?.conmonPid) process.kill(p.conmonPid, 'SIGKILL');
    }
    rt.close();
    await rm(root, { recursive: true, force: true });
  });
  return env;
}

function spec(id: string, args: string[], over: Partial<ContainerSpecInput> = {}): ReturnType<typeof buildSpec> {
  return buildSpec({
    id,
    rootfs,
    process: { args, env: ['PATH=/bin:/usr/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false },
    hostname: 'box',
    network: { mode: 'none' },
    mounts: [],
    cgroupsPath: `/berth-test/${id}`,
    ...over,
  });
}

const logPath = (env: Env, id: string): string => join(env.root, 'logs', `${id}.log`);

async function create(env: Env, id: string, args: string[], opts: { runtime?: string; over?: Partial<ContainerSpecInput> } = {}): Promise<number> {
  env.ids.push(id);
  const { pid } = await env.rt.create({
    id, bundleDir: join(env.root, 'bundles', id), spec: spec(id, args, opts.over), logPath: logPath(env, id), runtime: opts.runtime,
  });
  return pid;
}

/** The exit code onExit reports for `id`; subscribe before the container can exit. */
function exitOf(rt: Runtime, id: string, timeoutMs = 15_000): Promise<number> {
  const p = new Promise<number>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no exit reported for ${id} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = rt.onExit((exited, code) => {
      if (exited !== id) return;
      clearTimeout(timer);
      off();
      resolvePromise(code);
    });
    timer.unref();
  });
  p.catch(() => undefined); // a test that fails before awaiting it must not leave an unhandled rejection
  return p;
}

async function records(path: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of readLog(path)) out.push(r);
  return out;
}

describe('runtime with conmon and crun', () => {
  it('output to stdout and stderr lands in the log with the right streams', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['sh', '-c', 'echo to-out; echo to-err >&2; printf no-newline']);
    await env.rt.start(id);
    assert.equal(await exited, 0);
    // conmon reads the two pipes separately: order holds within a stream, not across them.
    const rs = await records(logPath(env, id));
    const out = rs.filter((r) => r.stream === 'stdout');
    const err = rs.filter((r) => r.stream === 'stderr');
    assert.deepEqual(out.map((r) => [r.data.toString(), r.partial]), [['to-out', false], ['no-newline', true]]);
    assert.deepEqual(err.map((r) => [r.data.toString(), r.partial]), [['to-err', false]]);
  });

  it('exit code 3 reaches onExit and exitCode, and true runs fast', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['sh', '-c', 'exit 3']);
    assert.equal((await env.rt.state(id))?.status, 'created');
    await env.rt.start(id);
    assert.equal(await exited, 3);
    assert.equal(await env.rt.exitCode(id), 3);
    assert.equal((await env.rt.state(id))?.status, 'stopped');

    for (let i = 0; i < 5; i++) {
      const fast = newId();
      const done = exitOf(env.rt, fast);
      const t0 = performance.now();
      await create(env, fast, ['true']);
      const t1 = performance.now();
      await env.rt.start(fast);
      const t2 = performance.now();
      assert.equal(await done, 0);
      const t3 = performance.now();
      console.log(`true with crun: create ${(t1 - t0).toFixed(1)} ms, start ${(t2 - t1).toFixed(1)} ms, ` +
        `exit reported ${(t3 - t2).toFixed(1)} ms later, ${(t3 - t0).toFixed(1)} ms in all`);
      await env.rt.delete(fast);
    }
  });

  it('all output is in the log by the time the exit is reported', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; echo end >&2']);
    await env.rt.start(id);
    assert.equal(await exited, 0);
    const rs = await records(logPath(env, id));
    // A line may arrive in pieces: partial records join without a newline.
    const out = rs.filter((r) => r.stream === 'stdout').map((r) => r.data.toString() + (r.partial ? '' : '\n')).join('');
    const lines = out.split('\n').slice(0, -1);
    assert.equal(lines.length, 3000);
    assert.equal(lines[2999], 'line2999');
    assert.deepEqual(rs.filter((r) => r.stream === 'stderr').map((r) => r.data.toString()), ['end']);
  });

  it('a missing executable fails create with a message naming it, and leaves nothing behind', async (t) => {
    const env = await setup(t);
    const id = newId();
    await assert.rejects(create(env, id, ['no-such-command-here']), (err: unknown) => {
      assert.ok(isEngineError(err));
      assert.match((err as Error).message, /no-such-command-here/);
      assert.match((err as Error).message, /not found/);
      return true;
    });
    assert.equal(await env.rt.state(id), null);
    const p = await env.rt.probe(id);
    assert.equal(p.conmonAlive, false);
    assert.equal(existsSync(join(env.root, 'runtime', id)), false);
  });

  it('SIGTERM reaches a process that traps it, and SIGKILL ends sleep 100 with 137', async (t) => {
    const env = await setup(t);
    const trapper = newId();
    const trapped = exitOf(env.rt, trapper);
    await create(env, trapper, ['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; sleep 100 & wait']);
    await env.rt.start(trapper);
    for await (const r of readLog(logPath(env, trapper), { follow: true, isRunning: () => true })) {
      if (r.data.toString() === 'ready') break;
    }
    await env.rt.kill(trapper, 'SIGTERM');
    assert.equal(await trapped, 7);
    assert.ok((await records(logPath(env, trapper))).some((r) => r.data.toString() === 'got-term'));

    const sleeper = newId();
    const killed = exitOf(env.rt, sleeper);
    await create(env, sleeper, ['sleep', '100']);
    await env.rt.start(sleeper);
    assert.equal((await env.rt.state(sleeper))?.status, 'running');
    await env.rt.kill(sleeper, 'KILL');
    assert.equal(await killed, 137);
    await assert.rejects(env.rt.kill(sleeper, 9), (err: unknown) => isEngineError(err, 'Conflict'));
    await assert.rejects(env.rt.kill(sleeper, 'SIGNOPE'), (err: unknown) => isEngineError(err, 'InvalidArgument'));
  });

  it('a container outlives the process that started it and a new Runtime finds it with probe', async (t) => {
    const env = await setup(t);
    const id = newId();
    env.ids.push(id);
    const script = `
      import { openRuntime, buildSpec } from ${JSON.stringify(runtimeIndexUrl)};
      const [root, rootfs, id] = process.argv.slice(1);
      const rt = await openRuntime({ execRoot: root });
      const spec = buildSpec({ id, rootfs, process: { args: ['sleep', '100'], env: ['PATH=/bin'], cwd: '/',
        user: { uid: 0, gid: 0 }, terminal: false }, hostname: 'box', network: { mode: 'none' }, mounts: [],
        cgroupsPath: '/berth-test/' + id });
      await rt.create({ id, bundleDir: root + '/bundles/' + id, spec, logPath: root + '/logs/' + id + '.log' });
      await rt.start(id);
      rt.close();
    `;
    // Settles only when every holder of the child's pipes is gone: conmon must hold none.
    await execFileText(process.execPath, ['--input-type=module', '-e', script, env.root, rootfs, id], { timeoutMs: 30_000 });

    const reopened = await openRuntime({ execRoot: env.root });
    t.after(() => reopened.close());
    const p = await reopened.probe(id);
    assert.equal(p.conmonAlive, true);
    assert.equal(p.exitCode, null);
    assert.equal(p.runtime, 'crun');
    assert.ok(p.pid !== null && existsSync(`/proc/${p.pid}`));
    const stat = readFileSync(`/proc/${p.conmonPid}/stat`, 'utf8');
    assert.notEqual(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), process.pid);
    assert.equal((await reopened.state(id))?.status, 'running');

    const exited = exitOf(reopened, id);
    await reopened.kill(id, 'SIGKILL');
    assert.equal(await exited, 137);
    await reopened.delete(id);
    assert.equal((await reopened.probe(id)).conmonAlive, false);
    assert.equal(await reopened.exitCode(id), null);
  });

  it('runc chosen for one container runs it, and later calls find runc by themselves', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['sh', '-c', 'echo from-runc; exit 5'], { runtime: 'runc' });
    assert.equal((await env.rt.probe(id)).runtime, 'runc');
    await env.rt.start(id);
    assert.equal(await exited, 5);
    assert.deepEqual((await records(logPath(env, id))).map((r) => r.data.toString()), ['from-runc']);
    assert.equal(existsSync(join(env.root, 'runtime', 'state', 'runc', id)), true);
    await env.rt.delete(id);
    assert.equal(existsSync(join(env.root, 'runtime', 'state', 'runc', id)), false);
  });

  it('a terminal container writes through a pty', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['sh', '-c', 'tty; echo done'], { over: { process: { args: ['sh', '-c', 'tty; echo done'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal: true } } });
    await env.rt.start(id);
    assert.equal(await exited, 0);
    assert.deepEqual((await records(logPath(env, id))).map((r) => r.data.toString()), ['/dev/pts/0\r', 'done\r']);
  });

  it('limits reach the container\'s cgroups', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    const script = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; ' +
      'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; ulimit -n; ulimit -Hn';
    await create(env, id, ['sh', '-c', script], { over: { resources: { memoryBytes: 64 * 1024 * 1024, pidsLimit: 42 } } });
    await env.rt.start(id);
    assert.equal(await exited, 0);
    const nofile = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))!;
    assert.deepEqual((await records(logPath(env, id))).map((r) => r.data.toString()), [String(64 * 1024 * 1024), '42', nofile[1], nofile[2]]);
  });

  it('pause, resume and a forced delete of a paused container leave nothing running', async (t) => {
    const env = await setup(t);
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['sleep', '100']);
    await env.rt.start(id);
    await env.rt.pause(id);
    assert.equal((await env.rt.state(id))?.status, 'paused');
    await env.rt.resume(id);
    assert.equal((await env.rt.state(id))?.status, 'running');
    await env.rt.pause(id);
    await assert.rejects(env.rt.delete(id), (err: unknown) => isEngineError(err));
    await env.rt.delete(id, undefined, { force: true });
    assert.equal(await exited, 137);
    assert.equal(await env.rt.state(id), null);
    assert.equal((await env.rt.probe(id)).conmonAlive, false);
  });

  it('deleting an unknown container is quiet and starting one is NotFound', async (t) => {
    const env = await setup(t);
    await env.rt.delete('never-created');
    await assert.rejects(env.rt.start('never-created'), (err: unknown) => isEngineError(err, 'NotFound'));
    await assert.rejects(env.rt.start('../escape'), (err: unknown) => isEngineError(err, 'InvalidArgument'));
  });
});

describe('cgroups on this host', () => {
  const layout = parseCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'));

  it('after openRuntime cgroup2 offers no controller that keeps crun from running, and crun runs a container', async (t) => {
    const env = await setup(t);
    if (layout.mode === 'hybrid') {
      assert.equal((await readFile(join(layout.unifiedPath!, 'cgroup.controllers'), 'utf8')).trim(), '');
    }
    assert.equal(env.rt.defaultRuntime, 'crun');
    const id = newId();
    const exited = exitOf(env.rt, id);
    await create(env, id, ['true']);
    await env.rt.start(id);
    assert.equal(await exited, 0);
  });

  it('binding a controller to cgroup v1 mounts a real hierarchy', { skip: layout.mode !== 'hybrid' }, async (t) => {
    const ctrl = [...parseCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8')).v1Mounts.keys()].find((c) => c === 'hugetlb') ?? 'pids';
    const target = join(scratch, `bind-${ctrl}`);
    t.after(() => execFileText('umount', [target]).catch(() => undefined));
    await realCgroupHost.bind(ctrl, target);
    const entry = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === target);
    assert.ok(entry, `${target} is a mount point`);
    const [fsType, , superOptions] = entry.slice(entry.indexOf(' - ') + 3).split(' ');
    assert.equal(fsType, 'cgroup');
    assert.ok(superOptions.split(',').includes(ctrl));
  });
});

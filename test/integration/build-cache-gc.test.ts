// The build cache's bound: after each build the least recently used entries
// go until what the cache alone keeps fits --builder-gc-keep-storage, and
// `builder prune` takes --keep-storage, --filter until= and --all.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TestDaemon, type RunResult } from '../helpers/daemon.js';
import { ContextDirs } from '../helpers/build.js';

let gc: TestDaemon;
let manual: TestDaemon;
const ctx = new ContextDirs();

before(async () => {
  [gc, manual] = await Promise.all([
    TestDaemon.start({ busybox: true, args: ['--builder-gc-keep-storage', '1MB'] }),
    TestDaemon.start({ busybox: true, args: ['--builder-gc-keep-storage', '0'] }),
  ]);
});
after(async () => {
  await Promise.all([gc?.stop(), manual?.stop()]);
  ctx.cleanup();
});

/**
 * A two-stage Dockerfile whose first stage makes `kb` KB of random data that
 * only the cache keeps (the image takes its checksum, not the data).
 */
function junkDockerfile(name: string, kb: number): string {
  return [
    'FROM busybox AS scratchpad',
    `RUN head -c ${kb * 1000} /dev/urandom > /junk-${name} && md5sum /junk-${name} > /sum`,
    'FROM busybox',
    'COPY --from=scratchpad /sum /sum',
    'CMD ["cat", "/sum"]',
    '',
  ].join('\n');
}

async function build(d: TestDaemon, tag: string, dockerfile: string): Promise<RunResult> {
  const r = await d.berth(['build', '-t', tag, ctx.make({ Dockerfile: dockerfile })]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

async function cacheDescriptions(d: TestDaemon): Promise<string[]> {
  return ((await d.api('GET', '/system/df')).json.BuildCache as Array<{ Description: string }>).map((c) => c.Description);
}

/** Whether the build took the step that makes `/junk-<name>` from the cache. */
function junkCached(out: string, name: string): boolean {
  const i = out.indexOf(`/junk-${name} &&`);
  assert.ok(i >= 0, out);
  return /^[^\n]*\n ---> Using cache/.test(out.slice(i));
}

test('after each build the least recently used cache entries go until the cache fits its bound', async () => {
  const a = junkDockerfile('a', 700);
  const b = junkDockerfile('b', 700);
  await build(gc, 'gc:a', a);
  assert.ok((await cacheDescriptions(gc)).some((s) => s.includes('/junk-a')));
  await build(gc, 'gc:b', b);
  const left = await cacheDescriptions(gc);
  assert.ok(!left.some((s) => s.includes('/junk-a')), `a's scratch stage is still cached: ${left.join(' | ')}`);
  assert.ok(left.some((s) => s.includes('/junk-b')), 'the newest build stays cached');

  // Images keep what they use.
  const run = await gc.berth(['run', '--rm', 'gc:a']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^[0-9a-f]{32} {2}\/junk-a$/m);

  assert.equal(junkCached((await build(gc, 'gc:b2', b)).stdout, 'b'), true);
  assert.equal(junkCached((await build(gc, 'gc:a2', a)).stdout, 'a'), false);
});

test('builder prune --keep-storage drops least recently used entries until the rest fits', async () => {
  await build(manual, 'keep:x', junkDockerfile('x', 300));
  await build(manual, 'keep:y', junkDockerfile('y', 300));
  const p = await manual.berth(['builder', 'prune', '-f', '--keep-storage', '400KB']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^Deleted build cache objects:\n[0-9a-f]{25}\n/);
  assert.match(p.stdout, /^Total reclaimed space: (29\d|30\d)(\.\d+)?kB$/m);
  const left = await cacheDescriptions(manual);
  assert.ok(!left.some((s) => s.includes('/junk-x')));
  assert.ok(left.some((s) => s.includes('/junk-y')));
});

test('builder prune --filter until= spares recently used entries; --all -f drops the rest', async () => {
  await build(manual, 'until:z', junkDockerfile('z', 10));
  const before = (await cacheDescriptions(manual)).length;
  const spared = await manual.berth(['builder', 'prune', '-f', '--filter', 'until=1h']);
  assert.equal(spared.code, 0, spared.stderr);
  assert.equal(spared.stdout, 'Total reclaimed space: 0B\n');
  assert.equal((await cacheDescriptions(manual)).length, before);
  const all = await manual.berth(['builder', 'prune', '--all', '-f']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /Total reclaimed space: [1-9]/);
  assert.deepEqual(await cacheDescriptions(manual), []);
});

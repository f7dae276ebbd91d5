import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { ContextDirs, ndjson, write } from '../helpers/build.js';

let d: TestDaemon;
const ctx = new ContextDirs();

before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
  ctx.cleanup();
});

const DOCKERFILE = `FROM busybox
ARG GREETING=hello
ENV APP=/app \\
    MODE=test
WORKDIR $APP
COPY hello.txt ./
COPY data/ ./data/
RUN echo "$GREETING from $APP" > out.txt
EXPOSE 8080 53/udp
LABEL org.example.name="demo app"
USER nobody
VOLUME /cache
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s CMD true
ENTRYPOINT ["cat"]
CMD ["/app/out.txt"]
`;

test('build runs every step and the image has docker\'s config and history', async () => {
  const dir = ctx.make({ Dockerfile: DOCKERFILE, 'hello.txt': 'hi there\n', 'data/a.txt': 'A', 'data/sub/b.txt': 'B' });
  const r = await d.berth(['build', '-t', 'demo:1', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Step 1\/15 : FROM busybox$/m);
  assert.match(r.stdout, /^Step 7\/15 : RUN echo "\$GREETING from \$APP" > out\.txt$/m);
  assert.match(r.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^Successfully tagged demo:1$/m);

  const run = await d.berth(['run', '--rm', 'demo:1']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'hello from /app\n');
  const files = await d.berth(['run', '--rm', '--entrypoint', 'sh', 'demo:1', '-c', 'cat /app/hello.txt /app/data/a.txt /app/data/sub/b.txt; stat -c "%u:%g %a" /app/hello.txt; id -un']);
  assert.equal(files.stdout, 'hi there\nAB0:0 644\nnobody\n');

  const img = (await d.api('GET', '/images/demo:1/json')).json;
  const c = img.Config;
  assert.ok(c.Env.includes('APP=/app') && c.Env.includes('MODE=test'));
  assert.equal(c.WorkingDir, '/app');
  assert.deepEqual(c.Entrypoint, ['cat']);
  assert.deepEqual(c.Cmd, ['/app/out.txt']);
  assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
  assert.equal(c.Labels['org.example.name'], 'demo app');
  assert.equal(c.User, 'nobody');
  assert.deepEqual(Object.keys(c.Volumes), ['/cache']);
  assert.equal(c.StopSignal, 'SIGTERM');
  assert.deepEqual(c.Healthcheck.Test, ['CMD-SHELL', 'true']);
  assert.equal(c.Healthcheck.Interval, 5_000_000_000);
  assert.equal(img.RootFS.Layers.length, 5, 'busybox + WORKDIR (it makes /app) + COPY + COPY + RUN');

  const history = (await d.api('GET', '/images/demo:1/history')).json as Array<{ CreatedBy: string; Size: number }>;
  const steps = history.map((h) => h.CreatedBy).reverse();
  assert.equal(history.find((h) => h.CreatedBy.includes('COPY file:'))?.Size, 9, 'the COPY layer holds hello.txt');
  assert.equal(history.find((h) => h.CreatedBy.includes('ENV APP'))?.Size, 0);
  assert.ok(steps.some((s) => s.includes('|1 GREETING=hello /bin/sh -c echo')), steps.join('\n'));
  assert.ok(steps.some((s) => s.includes('#(nop)  CMD ["/app/out.txt"]')));
});

test('a rebuild takes every step from the cache and gives the same image ID', async () => {
  const dir = ctx.make({ Dockerfile: DOCKERFILE, 'hello.txt': 'hi there\n', 'data/a.txt': 'A', 'data/sub/b.txt': 'B' });
  const first = await d.berth(['build', '-q', '-t', 'cached:1', dir]);
  assert.equal(first.code, 0, first.stderr);
  const again = await d.berth(['build', '-t', 'cached:2', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 13, again.stdout);
  assert.ok(!again.stdout.includes('Running in'));
  const id1 = (await d.api('GET', '/images/cached:1/json')).json.Id;
  assert.equal(first.stdout.trim(), id1);
  assert.equal((await d.api('GET', '/images/cached:2/json')).json.Id, id1);
});

test('a changed file invalidates exactly the steps from its COPY on', async () => {
  const dir = ctx.make({
    Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY f.txt /f.txt\nRUN cat /f.txt > /copy\nCMD ["cat", "/copy"]\n',
    'f.txt': 'v1\n',
  });
  assert.equal((await d.berth(['build', '-t', 'inval:1', dir])).code, 0);
  write(dir, { 'f.txt': 'v2\n' });
  const r = await d.berth(['build', '-t', 'inval:2', dir]);
  assert.equal(r.code, 0, r.stderr);
  const steps = r.stdout.split(/^Step /m).slice(1);
  assert.match(steps[1], /Using cache/, 'RUN before the COPY stays cached');
  assert.doesNotMatch(steps[2], /Using cache/);
  assert.doesNotMatch(steps[3], /Using cache/);
  assert.equal((await d.berth(['run', '--rm', 'inval:2'])).stdout, 'v2\n');
  // Same content again, a different mtime: still a cache hit.
  write(dir, { 'f.txt': 'v2\n' });
  const same = await d.berth(['build', '-t', 'inval:3', dir]);
  assert.equal((same.stdout.match(/Using cache/g) ?? []).length, 4, same.stdout);
});

test('build args reach RUN, change its cache key, and --no-cache runs everything', async () => {
  const dir = ctx.make({ Dockerfile: 'FROM busybox\nARG V=default\nRUN echo "v=$V" > /v\nCMD ["cat", "/v"]\n' });
  assert.equal((await d.berth(['build', '-t', 'args:1', dir])).code, 0);
  assert.equal((await d.berth(['run', '--rm', 'args:1'])).stdout, 'v=default\n');
  const r = await d.berth(['build', '--build-arg', 'V=given', '--build-arg', 'UNUSED=1', '-t', 'args:2', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout.split(/^Step 3/m)[1], /Using cache/);
  assert.match(r.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
  assert.equal((await d.berth(['run', '--rm', 'args:2'])).stdout, 'v=given\n');
  const nc = await d.berth(['build', '--no-cache', '-t', 'args:3', dir]);
  assert.equal(nc.code, 0, nc.stderr);
  assert.ok(!nc.stdout.includes('Using cache'));
});

test('a failing RUN shows its output and exit code with the Dockerfile line, and tags nothing', async () => {
  const dir = ctx.make({ Dockerfile: 'FROM busybox\nRUN echo about to fail\nRUN echo oops >&2; exit 3\n' });
  const r = await d.berth(['build', '-t', 'broken:1', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /about to fail/);
  assert.match(r.stdout + r.stderr, /oops/);
  assert.match(r.stderr, /Dockerfile:3: The command '\/bin\/sh -c echo oops >&2; exit 3' returned a non-zero code: 3/);
  const img = await d.api('GET', '/images/broken:1/json');
  assert.equal(img.status, 404);
});

test('bad Dockerfiles and bad COPY sources are clear errors naming the line', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ Dockerfile: 'FROM busybox\nFOO bar\n' }, /dockerfile parse error on line 2: unknown instruction: FOO/i],
    [{ Dockerfile: 'FROM busybox\nCOPY missing.txt /x\n' }, /Dockerfile:2: COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt: file does not exist/],
    [{ Dockerfile: 'FROM busybox\nCOPY ../outside /x\n' }, /Dockerfile:2: COPY failed: forbidden path outside the build context/],
    [{ Dockerfile: 'FROM busybox\nCOPY --from=nostage /x /y\n' }, /Dockerfile:2: .*nostage/],
    [{ Dockerfile: 'FROM busybox\nCOPY --bogus=1 a /b\n' }, /line 2: .*bogus/i],
  ];
  for (const [files, re] of cases) {
    const r = await d.berth(['build', '-t', 'bad:1', ctx.make(files)]);
    assert.equal(r.code, 1, `expected a failure for ${files.Dockerfile}`);
    assert.match(r.stderr, re);
  }
  const target = await d.berth(['build', '--target', 'nope', ctx.make({ Dockerfile: 'FROM busybox AS a\n' })]);
  assert.match(target.stderr, /failed to reach build target nope in Dockerfile/);
  assert.equal((await d.api('GET', '/images/bad:1/json')).status, 404);
});

test('.dockerignore keeps files out, with ! exceptions', async () => {
  const dir = ctx.make({
    Dockerfile: 'FROM busybox\nCOPY . /src/\nCMD ["sh", "-c", "cd /src && find . -type f | sort"]\n',
    '.dockerignore': '*.log\nsecret/\n!keep.log\n',
    'a.txt': 'a',
    'x.log': 'x',
    'keep.log': 'k',
    'secret/key': 'k',
  });
  assert.equal((await d.berth(['build', '-t', 'ign:1', dir])).code, 0);
  const out = (await d.berth(['run', '--rm', 'ign:1'])).stdout.split('\n').filter(Boolean);
  assert.deepEqual(out, ['./.dockerignore', './Dockerfile', './a.txt', './keep.log']);
});

test('Dockerfile from stdin (-f -), context from stdin (-), -f elsewhere, --iidfile', async () => {
  const dir = ctx.make({ 'f.txt': 'from ctx\n' });
  const viaStdin = await d.berth(['build', '-f', '-', '-t', 'stdin:1', dir], { input: 'FROM busybox\nCOPY f.txt /f\nCMD ["cat", "/f"]\n' });
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.equal((await d.berth(['run', '--rm', 'stdin:1'])).stdout, 'from ctx\n');

  const noContext = await d.berth(['build', '-t', 'stdin:2', '-'], { input: 'FROM busybox\nRUN echo built > /b\nCMD ["cat", "/b"]\n' });
  assert.equal(noContext.code, 0, noContext.stderr);
  assert.equal((await d.berth(['run', '--rm', 'stdin:2'])).stdout, 'built\n');

  const tarDir = ctx.make({ 'Dockerfile.custom': 'FROM busybox\nCOPY f.txt /f\nCMD ["cat", "/f"]\n', 'f.txt': 'tarred\n' });
  const viaTar = await d.berth(['build', '-f', 'Dockerfile.custom', '-t', 'stdin:3', '-'], { input: ctx.tar(tarDir, true) });
  assert.equal(viaTar.code, 0, viaTar.stderr);
  assert.equal((await d.berth(['run', '--rm', 'stdin:3'])).stdout, 'tarred\n');

  const elsewhere = ctx.make({ 'my.Dockerfile': 'FROM busybox\nCOPY f.txt /f\nCMD ["cat", "/f"]\n' });
  const iid = join(elsewhere, 'iid');
  const r = await d.berth(['build', '-f', join(elsewhere, 'my.Dockerfile'), '--iidfile', iid, '-q', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(iid, 'utf8'), r.stdout.trim());
  assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
});

test('POST /build answers docker\'s JSON stream for a gzip context with buildargs and labels', async () => {
  const dir = ctx.make({ Dockerfile: 'FROM busybox\nARG WHO\nRUN echo "hi $WHO"\n' });
  const query = `t=api:1&t=api:2&buildargs=${encodeURIComponent(JSON.stringify({ WHO: 'api' }))}&labels=${encodeURIComponent(JSON.stringify({ team: 'x' }))}`;
  const r = await d.api('POST', `/build?${query}`, ctx.tar(dir, true), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200);
  const lines = ndjson(r.body);
  assert.deepEqual(lines[0], { stream: 'Step 1/3 : FROM busybox\n' });
  assert.ok(lines.some((l) => l.stream === 'hi api\n'), r.body);
  const aux = lines.find((l) => l.aux)?.aux?.ID;
  assert.match(aux ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.ok(lines.some((l) => l.stream === 'Successfully tagged api:2\n'));
  const img = (await d.api('GET', '/images/api:1/json')).json;
  assert.equal(img.Id, aux);
  assert.equal(img.Config.Labels.team, 'x');

  const bad = await d.api('POST', '/build', ctx.tar(ctx.make({ Dockerfile: 'FROM busybox\nRUN exit 7\n' })), { 'Content-Type': 'application/x-tar' });
  const last = ndjson(bad.body).at(-1);
  assert.match(last?.errorDetail?.message ?? '', /returned a non-zero code: 7/);
  assert.equal(last?.error, last?.errorDetail?.message);
});

test('WORKDIR creates a missing directory, owned by the USER in effect; an existing one adds no layer', async () => {
  const dir = ctx.make({ Dockerfile: 'FROM busybox\nWORKDIR /srv/app/data\nUSER nobody\nWORKDIR /var/www\nWORKDIR /home/site/web\nWORKDIR /tmp\nWORKDIR logs\n' });
  const r = await d.berth(['build', '-t', 'wd:1', dir]);
  assert.equal(r.code, 0, r.stderr);
  const ls = await d.berth(['run', '--rm', '--user', '0', 'wd:1', 'stat', '-c', '%n %U %a', '/srv', '/srv/app/data', '/var/www', '/home/site', '/home/site/web', '/tmp/logs']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout, '/srv root 755\n/srv/app/data root 755\n/var/www root 755\n/home/site nobody 755\n/home/site/web nobody 755\n/tmp/logs nobody 755\n');
  const base = (await d.api('GET', '/images/busybox/json')).json.RootFS.Layers.length;
  const img = (await d.api('GET', '/images/wd:1/json')).json;
  assert.equal(img.RootFS.Layers.length, base + 3, 'WORKDIR /var/www and /tmp, which exist, add no layer');
  assert.equal(img.Config.WorkingDir, '/tmp/logs');
});

test('--cache-from takes steps from a local image\'s history when the build cache has none', async () => {
  const dir = ctx.make({
    Dockerfile: 'FROM busybox\nWORKDIR /app\nCOPY a.txt .\nRUN cat /proc/sys/kernel/random/uuid > id\nENV X=1\nRUN cp id id2\n',
    'a.txt': 'a',
  });
  const id = async (tag: string) => (await d.berth(['run', '--rm', tag, 'cat', '/app/id', '/app/id2'])).stdout;
  assert.equal((await d.berth(['build', '-t', 'cf:1', dir])).code, 0);
  const first = await id('cf:1');
  assert.match(first, /^([0-9a-f-]{36})\n\1\n$/);
  const prune = async () => assert.equal((await d.berth(['builder', 'prune', '-af'])).code, 0);

  await prune();
  const reused = await d.berth(['build', '--cache-from', 'cf:1', '--cache-from', 'nosuch:image', '-t', 'cf:2', dir]);
  assert.equal(reused.code, 0, reused.stderr);
  assert.equal(reused.stdout.match(/^ ---> Using cache$/gm)?.length, 5, reused.stdout);
  assert.equal(await id('cf:2'), first, 'the RUN steps did not run again');

  await prune();
  const fresh = await d.berth(['build', '-t', 'cf:3', dir]);
  assert.ok(!fresh.stdout.includes('Using cache'));
  assert.notEqual(await id('cf:3'), first);
});

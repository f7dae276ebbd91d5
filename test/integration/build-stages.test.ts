import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { ContextDirs } from '../helpers/build.js';

let d: TestDaemon;
const ctx = new ContextDirs();

before(async () => {
  d = await TestDaemon.start({ busybox: true });
});
after(async () => {
  await d?.stop();
  ctx.cleanup();
});

async function build(args: string[], files: Record<string, string>, input?: string) {
  const r = await d.berth(['build', ...args, ctx.make(files)], { input });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return r;
}
const run = async (...args: string[]) => (await d.berth(['run', '--rm', ...args])).stdout;

const MULTI = `ARG BASE=busybox
FROM $BASE AS tools
RUN echo tool > /tool.txt

FROM busybox AS unused
RUN echo SHOULD-NOT-RUN

FROM tools AS builder
RUN cat /tool.txt > /built.txt && echo built >> /built.txt

FROM scratch AS final
COPY --from=builder /built.txt /out/built.txt
COPY --from=busybox /bin/busybox /bin/busybox
CMD ["/bin/busybox", "cat", "/out/built.txt"]
`;

test('multi-stage: FROM a stage, COPY --from a stage and an image, scratch, unused stages skipped', async () => {
  const r = await build(['-t', 'multi:1'], { Dockerfile: MULTI });
  assert.ok(!r.stdout.includes('SHOULD-NOT-RUN'), r.stdout);
  assert.match(r.stdout, /^Step 1\/8 : FROM \$BASE AS tools$/m);
  assert.equal(await run('multi:1'), 'tool\nbuilt\n');
  const img = (await d.api('GET', '/images/multi:1/json')).json;
  assert.equal(img.RootFS.Layers.length, 2, 'scratch + two COPY layers');
});

test('the platform args are predefined, for FROM and after ARG in a stage', async () => {
  await build(['-t', 'plat:1'], { Dockerfile: 'FROM busybox\nARG TARGETARCH\nARG TARGETPLATFORM\nRUN echo "$TARGETPLATFORM $TARGETARCH" > /p\nCMD ["cat", "/p"]\n' });
  const out = (await run('plat:1')).trim();
  assert.match(out, /^linux\/(amd64|arm64|[a-z0-9]+) (amd64|arm64|[a-z0-9]+)$/);
  assert.equal(out.split(' ')[0], `linux/${out.split(' ')[1]}`);
});

test('COPY --exclude leaves paths out and --parents keeps source paths', async () => {
  await build(['-t', 'excl:1'], {
    Dockerfile: 'FROM busybox\nCOPY --exclude=*.log --exclude=app/tmp app /app/\nCOPY --parents a/b/c.txt d/e.txt /p/\nCMD ["sh", "-c", "cd / && find app p -type f | sort"]\n',
    'app/main.txt': 'm', 'app/debug.log': 'l', 'app/tmp/x': 'x', 'app/sub/keep.txt': 'k', 'a/b/c.txt': 'c', 'd/e.txt': 'e',
  });
  assert.equal(await run('excl:1'), 'app/main.txt\napp/sub/keep.txt\np/a/b/c.txt\np/d/e.txt\n');
});

test('--target stops at the named stage', async () => {
  await build(['--target', 'tools', '-t', 'multi:tools'], { Dockerfile: MULTI });
  assert.equal(await run('multi:tools', 'cat', '/tool.txt'), 'tool\n');
  const built = await d.berth(['run', '--rm', 'multi:tools', 'ls', '/built.txt']);
  assert.notEqual(built.code, 0);
});

test('independent stages build in parallel and their output stays in stage order', async () => {
  const r = await build(['-t', 'par:1'], {
    Dockerfile: `FROM busybox AS a
RUN sleep 1 && echo from-a > /a
FROM busybox AS b
RUN sleep 1 && echo from-b > /b
FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
CMD ["cat", "/a", "/b"]
`,
  });
  assert.equal(await run('par:1'), 'from-a\nfrom-b\n');
  const steps = [...r.stdout.matchAll(/^Step (\d+)\/8/gm)].map((m) => Number(m[1]));
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('a failing stage stops the stages building beside it and is the error reported', async () => {
  const r = await d.berth(['build', ctx.make({
    Dockerfile: 'FROM busybox AS slow\nRUN sleep 20 && touch /slow # berth-test-slow-stage\nFROM busybox AS bad\nRUN exit 5\nFROM busybox\nCOPY --from=slow /slow /slow\nCOPY --from=bad / /bad\n',
  })]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Dockerfile:4: The command '\/bin\/sh -c exit 5' returned a non-zero code: 5/);
  const ps = spawnSync('pgrep', ['-f', 'berth-test-slow-stage'], { encoding: 'utf8' });
  assert.equal(ps.stdout.trim(), '', 'the slow stage was stopped');
});

test('each RUN is its own host on the default bridge, named by the id it is shown with', async () => {
  const r = await build(['--no-cache', '--add-host', 'extra.example:10.9.8.7'], {
    Dockerfile: 'FROM busybox\nRUN echo "name=$(hostname)" && grep -c "$(hostname)" /etc/hosts && grep extra.example /etc/hosts && ip -4 route | grep -c default\n',
  });
  const id = /Running in ([0-9a-f]{12})/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  assert.match(r.stdout, new RegExp(`^name=${id}\\n1\\n10\\.9\\.8\\.7\\textra\\.example\\n1$`, 'm'));
});

test('ONBUILD triggers run when a later build starts from the image', async () => {
  await build(['-t', 'onbuild:base'], { Dockerfile: 'FROM busybox\nONBUILD COPY marker.txt /marker\nONBUILD RUN echo triggered >> /marker\n', 'marker.txt': 'm\n' });
  const base = (await d.api('GET', '/images/onbuild:base/json')).json;
  assert.deepEqual(base.Config.OnBuild, ['COPY marker.txt /marker', 'RUN echo triggered >> /marker']);
  const r = await build(['-t', 'onbuild:child'], { Dockerfile: 'FROM onbuild:base\nCMD ["cat", "/marker"]\n', 'marker.txt': 'child\n' });
  assert.match(r.stdout, /# Executing 2 build triggers/);
  assert.equal(await run('onbuild:child'), 'child\ntriggered\n');
  const child = (await d.api('GET', '/images/onbuild:child/json')).json;
  assert.ok(!child.Config.OnBuild?.length, 'triggers are not inherited');
});

test('SOURCE_DATE_EPOCH makes a no-cache rebuild give the same image ID', async () => {
  const files = { Dockerfile: 'FROM busybox\nCOPY app.txt /app/\nRUN echo x > /app/gen && mkdir -p /var/data\nCMD ["cat", "/app/app.txt"]\n', 'app.txt': 'same\n' };
  const dir = ctx.make(files);
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await d.berth(['build', '--no-cache', '-q', '--build-arg', 'SOURCE_DATE_EPOCH=1700000000', dir]);
    assert.equal(r.code, 0, r.stderr);
    ids.push(r.stdout.trim());
  }
  assert.equal(ids[0], ids[1]);
  const img = (await d.api('GET', `/images/${ids[0]}/json`)).json;
  assert.equal(img.Created, '2023-11-14T22:13:20.000Z');
  const plain = await d.berth(['build', '--no-cache', '-q', dir]);
  assert.notEqual(plain.stdout.trim(), ids[0]);
});

test('ADD unpacks a local tar and fetches a URL; COPY --chown and --chmod', async () => {
  const tarDir = mkdtempSync('/var/tmp/berth-test-addtar-');
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'Last-Modified': 'Wed, 01 Jan 2020 00:00:00 GMT' });
    res.end(`served ${req.url}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    spawnSync('sh', ['-c', `mkdir -p ${tarDir}/t/sub && echo inner > ${tarDir}/t/sub/f && tar -czf ${tarDir}/a.tgz -C ${tarDir}/t .`]);
    const port = (server.address() as { port: number }).port;
    const dir = ctx.make({
      Dockerfile: `FROM busybox\nADD a.tgz /unpacked/\nADD http://127.0.0.1:${port}/file.txt /dl/\nCOPY --chown=1:2 --chmod=600 own.txt /own.txt\nCMD ["sh", "-c", "cat /unpacked/sub/f /dl/file.txt; stat -c '%u:%g %a' /own.txt /dl/file.txt"]\n`,
      'own.txt': 'o',
    });
    spawnSync('cp', [join(tarDir, 'a.tgz'), dir]);
    const r = await d.berth(['build', '-t', 'add:1', '--network', 'host', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await run('add:1'), 'inner\nserved /file.txt\n1:2 600\n0:0 600\n');
    const wrong = await d.berth(['build', ctx.make({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/f /f\n` })]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Dockerfile:2: digest mismatch for http:\/\/127\.0\.0\.1:\d+\/f/);
  } finally {
    server.close();
    rmSync(tarDir, { recursive: true, force: true });
  }
});

test('RUN --mount kinds, heredocs, SHELL and the network modes', async () => {
  const dir = ctx.make({
    Dockerfile: `FROM busybox
RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /count
RUN --mount=type=bind,source=src,target=/src,rw echo changed > /src/in.txt
RUN --mount=type=bind,source=src,target=/src cat /src/in.txt > /copied
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /secret-len
RUN <<EOF
echo heredoc-one > /heredoc
echo heredoc-two >> /heredoc
EOF
COPY <<EOT /from-heredoc.txt
inline file
EOT
SHELL ["/bin/sh", "-e", "-c"]
RUN --network=none ip link | grep -c '^[0-9]' > /links
CMD ["sh", "-c", "cat /count /copied /secret-len /heredoc /from-heredoc.txt /links; ls -d /src /scratch /run/secrets/token 2>&1"]
`,
    'src/in.txt': 'bound\n',
    'token.txt': 'sekrit',
  });
  const r = await d.berth(['build', '-t', 'mounts:1', '--secret', `id=token,src=${join(dir, 'token.txt')}`, dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = await run('mounts:1');
  assert.equal(out.split('\n').slice(0, 7).join('\n'), '1\nbound\n6\nheredoc-one\nheredoc-two\ninline file\n1');
  assert.match(out, /\/src: No such file or directory/, 'mount points are not left in the image');
  assert.match(out, /\/scratch: No such file or directory/);
  assert.match(out, /\/run\/secrets\/token: No such file or directory/);
  const again = await d.berth(['build', '--no-cache', '-t', 'mounts:2', '--secret', `id=token,src=${join(dir, 'token.txt')}`, dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await run('mounts:2')).split('\n')[0], '2', 'the cache mount keeps its content between builds');
});

test('builder prune empties the build cache and system df reports it', async () => {
  await build(['-t', 'prune:1'], { Dockerfile: 'FROM busybox\nRUN echo data > /data\n' });
  const df = (await d.api('GET', '/system/df')).json;
  assert.ok(df.BuildCache.length > 0);
  assert.ok(df.BuildCache.some((c: { Description: string }) => c.Description.includes('RUN echo data > /data')));
  const dfCli = await d.berth(['system', 'df']);
  assert.match(dfCli.stdout, /^Build Cache\s+[1-9]/m);
  const p = await d.berth(['builder', 'prune', '-f']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /Deleted build cache objects:/);
  assert.match(p.stdout, /Total reclaimed space:/);
  assert.equal((await d.api('GET', '/system/df')).json.BuildCache.length, 0);
  assert.equal(await run('prune:1', 'cat', '/data'), 'data\n', 'tagged images keep their layers');
  const rebuilt = await d.berth(['build', '-t', 'prune:2', ctx.make({ Dockerfile: 'FROM busybox\nRUN echo data > /data\n' })]);
  assert.ok(!rebuilt.stdout.includes('Using cache'));
});

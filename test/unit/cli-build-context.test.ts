import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { extract } from 'tar-stream';
import { packContext } from '../../src/cli/build-context.js';
import { contextFilter } from '../../src/cli/build-ignore.js';

const dirs: string[] = [];
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function context(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unit-context-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** The names in the packed tar and the stream's size in bytes. */
async function pack(dir: string, o: { keep?: string[]; specific?: string } = {}): Promise<{ names: string[]; bytes: number }> {
  const filter = contextFilter({ dir, keep: o.keep ?? ['Dockerfile'], specific: o.specific ?? join(dir, 'Dockerfile.dockerignore') });
  const chunks: Buffer[] = [];
  for await (const c of packContext(dir, [], filter)) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const names: string[] = [];
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (h, stream, next) => {
      names.push(h.name);
      stream.on('end', next);
      stream.resume();
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  x.end(tar);
  await done;
  return { names, bytes: tar.length };
}

describe('berth build packs the context without what .dockerignore leaves out', () => {
  it('never sends an ignored directory, even a large one holding a fifo and a socket', async () => {
    const dir = context({
      Dockerfile: 'FROM busybox\n',
      '.dockerignore': 'node_modules\n*.log\n!keep.log\n',
      'app.js': 'x',
      'x.log': 'x',
      'keep.log': 'k',
      'node_modules/big.bin': Buffer.alloc(4 << 20, 7),
      'node_modules/pkg/index.js': 'y',
    });
    assert.equal(spawnSync('mkfifo', [join(dir, 'node_modules', 'pipe')]).status, 0);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(dir, 'node_modules', 'sock'), resolve));
    const { names, bytes } = await pack(dir);
    assert.deepEqual(names, ['.dockerignore', 'Dockerfile', 'app.js', 'keep.log']);
    assert.ok(bytes < 64 * 1024, `${bytes} bytes sent`);
  });

  it('enters an ignored directory only for what a ! exception re-includes', async () => {
    const dir = context({
      Dockerfile: 'FROM busybox\n',
      '.dockerignore': 'vendor\n!vendor/keep/**\n',
      'vendor/other.txt': 'o',
      'vendor/keep/a.txt': 'a',
      'vendor/keep/sub/b.txt': 'b',
    });
    const { names } = await pack(dir);
    assert.deepEqual(names.filter((n) => !n.endsWith('/')), ['.dockerignore', 'Dockerfile', 'vendor/keep/a.txt', 'vendor/keep/sub/b.txt']);
  });

  it('always sends the Dockerfile and the ignore files, even when a pattern matches them', async () => {
    const dir = context({
      'docker/app.Dockerfile': 'FROM busybox\n',
      'docker/app.Dockerfile.dockerignore': '*\n',
      '.dockerignore': 'nothing-here\n',
      'src/a.txt': 'a',
    });
    const { names } = await pack(dir, {
      keep: ['docker/app.Dockerfile', 'docker/app.Dockerfile.dockerignore'],
      specific: join(dir, 'docker/app.Dockerfile.dockerignore'),
    });
    // The Dockerfile's own ignore file wins over .dockerignore: src/ stays out.
    assert.deepEqual(names.filter((n) => !n.endsWith('/')), ['.dockerignore', 'docker/app.Dockerfile', 'docker/app.Dockerfile.dockerignore']);
  });

  it('decides about directories without entering them', () => {
    const dir = context({ '.dockerignore': 'build\ncache/**\n!cache/keep\n' });
    const filter = contextFilter({ dir, keep: ['Dockerfile'] });
    assert.ok(filter);
    assert.equal(filter.excludes('build'), true);
    assert.equal(filter.descends('build'), false);
    assert.equal(filter.excludes('cache/tmp'), true);
    assert.equal(filter.descends('cache'), true);
    assert.equal(filter.excludes('cache/keep'), false);
    assert.equal(filter.excludes('src'), false);
  });

  it('sends everything when there is no ignore file', () => {
    assert.equal(contextFilter({ dir: context({ Dockerfile: 'FROM busybox\n' }), keep: ['Dockerfile'] }), undefined);
  });
});

/**
 * `docker save` / `docker load`: `GET /images/get?names=`, `GET /images/{name}/get`
 * and `POST /images/load`. Save resolves every name before the answer starts, so
 * an unknown name is a plain 404; load answers once the archive is in.
 */
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import type { Engine } from '../../engine/index.js';
import { invalidArgument } from '../../util/errors.js';
import type { Context } from '../context.js';
import type { Router } from '../router.js';

export function imageArchiveRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/images/get', async (ctx) => {
    const names = ctx.query.getAll('names').flatMap((n) => n.split(',')).filter((n) => n !== '');
    if (names.length === 0) throw invalidArgument('no image names given');
    await save(ctx, engine, names);
  });

  router.add('GET', '/images/{name*}/get', async (ctx) => {
    await save(ctx, engine, [ctx.params.name]);
  });

  router.add('POST', '/images/load', async (ctx) => {
    const lines: string[] = [];
    await engine.images.load(ctx.req, (line) => lines.push(line));
    for (const line of lines) {
      const name = line.replace(/^Loaded image(?: ID)?: /, '');
      engine.events.publish('image', 'load', name, { name });
    }
    const out = ctx.stream(200, 'application/json');
    for (const line of lines) out.write(JSON.stringify({ stream: `${line}\n` }) + '\n');
    out.end();
  });
}

async function save(ctx: Context, engine: Engine, names: string[]): Promise<void> {
  for (const name of names) await engine.images.resolve(name);
  const out = ctx.stream(200, 'application/x-tar');
  const pass = new PassThrough();
  const piping = pipeline(pass, out);
  await engine.images.save(names, pass);
  await piping;
  for (const name of names) engine.events.publish('image', 'save', name, { name });
}

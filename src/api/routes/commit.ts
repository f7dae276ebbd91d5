/** `POST /commit` and `GET /containers/{id}/export`. */
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { commitContainer, exportContainer, type Engine } from '../../engine/index.js';
import { invalidArgument } from '../../util/errors.js';
import type { Router } from '../router.js';

export function commitRoutes(router: Router, engine: Engine): void {
  router.add('POST', '/commit', async (ctx) => {
    const container = ctx.query.get('container');
    if (!container) throw invalidArgument('container is required');
    const repo = ctx.query.get('repo') ?? '';
    const tag = ctx.query.get('tag') ?? '';
    // The body may carry a container config; commit keeps the container's own, as the CLI sends none.
    await ctx.json<unknown>();
    const record = await commitContainer(
      { images: engine.images, containers: engine.containers, dataRoot: engine.options.dataRoot },
      {
        container,
        reference: repo ? (tag ? `${repo}:${tag}` : repo) : undefined,
        comment: ctx.query.get('comment') ?? undefined,
        author: ctx.query.get('author') ?? undefined,
        changes: ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== ''),
        pause: !/^(0|false)$/i.test(ctx.query.get('pause') ?? ''),
      },
    );
    const rec = engine.containers.find(container);
    engine.events.publish('container', 'commit', rec.id, { comment: ctx.query.get('comment') ?? '', name: rec.name, image: rec.config.Image ?? '', imageID: record.id });
    ctx.reply(201, { Id: record.id });
  });

  router.add('GET', '/containers/{id}/export', async (ctx) => {
    engine.containers.find(ctx.params.id); // 404 before the answer starts
    const out = ctx.stream(200, 'application/x-tar');
    const pass = new PassThrough();
    const piping = pipeline(pass, out);
    await exportContainer(engine.containers, ctx.params.id, pass);
    await piping;
  });
}

import type { Engine } from '../../engine/index.js';
import type { Router } from '../router.js';
import { invalidArgument } from '../../util/errors.js';
import { pullRoute } from './distribution.js';

export function imageRoutes(router: Router, engine: Engine): void {
  const images = engine.images;

  router.add('GET', '/images/json', async (ctx) => {
    ctx.reply(200, await images.list({ all: ctx.flag('all'), filters: ctx.filters() }));
  });

  router.add('GET', '/images/{name*}/json', async (ctx) => {
    ctx.reply(200, await images.inspect(ctx.params.name));
  });

  router.add('GET', '/images/{name*}/history', async (ctx) => {
    const img = await images.inspect(ctx.params.name);
    const record = await images.resolve(ctx.params.name);
    // Entries that made a layer take the layers' sizes in order, bottom first.
    const sizes = await images.layerSizes(ctx.params.name);
    let layer = 0;
    const sized = (record.config.history ?? []).map((h) => ({ h, size: h.empty_layer ? 0 : (sizes[layer++] ?? 0) }));
    const rows = sized.reverse().map(({ h, size }, i) => ({
      Id: i === 0 ? img.Id : '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: i === 0 ? img.RepoTags : null,
      Size: size,
      Comment: h.comment ?? '',
    }));
    ctx.reply(200, rows);
  });

  /**
   * POST /images/create: `fromSrc=-` imports the request body as a rootfs
   * tarball; `fromImage` pulls from a registry (routes/distribution.ts).
   */
  router.add('POST', '/images/create', async (ctx) => {
    const fromSrc = ctx.query.get('fromSrc');
    const fromImage = ctx.query.get('fromImage');
    if (fromSrc !== null) {
      if (fromSrc !== '-') throw invalidArgument(`importing from a URL is not supported: ${fromSrc}`);
      const repo = ctx.query.get('repo') ?? '';
      const tag = ctx.query.get('tag') ?? '';
      const reference = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
      const record = await images.importTarball(ctx.req, {
        reference,
        changes: ctx.query.getAll('changes').filter((x) => x !== ''),
        message: ctx.query.get('message') ?? undefined,
      });
      engine.events.publish('image', 'import', record.id, { name: reference ?? record.id });
      const out = ctx.stream(200, 'application/json');
      out.end(JSON.stringify({ status: record.id }) + '\n');
      return;
    }
    if (fromImage !== null) {
      await pullRoute(ctx, engine, fromImage);
      return;
    }
    throw invalidArgument('one of fromSrc or fromImage is required');
  });

  router.add('POST', '/images/{name*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw invalidArgument('repository name must have at least one component');
    await images.tag(ctx.params.name, repo, ctx.query.get('tag') || undefined);
    engine.events.publish('image', 'tag', ctx.params.name, { name: `${repo}:${ctx.query.get('tag') || 'latest'}` });
    ctx.empty(201);
  });

  router.add('DELETE', '/images/{name*}', async (ctx) => {
    const result = await images.remove(
      ctx.params.name,
      { force: ctx.flag('force'), noprune: ctx.flag('noprune') },
      (id) => engine.containers.imageUser(id),
    );
    for (const r of result) {
      if (r.Untagged) engine.events.publish('image', 'untag', r.Untagged, { name: r.Untagged });
      if (r.Deleted) engine.events.publish('image', 'delete', r.Deleted, { name: r.Deleted });
    }
    ctx.reply(200, result);
  });

  router.add('POST', '/images/prune', async (ctx) => {
    const filters = ctx.filters();
    const dangling = filters.dangling?.[0];
    const all = dangling === 'false' || dangling === '0';
    const rest = { ...filters };
    delete rest.dangling;
    ctx.reply(200, await images.prune({ all, filters: rest }, (id) => engine.containers.imageUser(id)));
  });
}

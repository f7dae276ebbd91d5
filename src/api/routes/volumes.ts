import type { Engine } from '../../engine/index.js';
import type { Router } from '../router.js';
import type { CreateVolumeOptions } from '../../engine/index.js';
import { invalidArgument } from '../../util/errors.js';

/** /volumes: moby's volume router, thin over the volume service. */
export function volumeRoutes(router: Router, engine: Engine): void {
  const v = engine.volumes;

  router.add('GET', '/volumes', async (ctx) => {
    ctx.reply(200, { Volumes: v.list(ctx.filters()), Warnings: [] });
  });

  router.add('POST', '/volumes/create', async (ctx) => {
    const body = (await ctx.json<CreateVolumeOptions>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid volume create body');
    const rec = await v.create(body);
    engine.events.publish('volume', 'create', rec.Name, { driver: rec.Driver });
    ctx.reply(201, v.view(rec));
  });

  router.add('POST', '/volumes/prune', async (ctx) => {
    const filters = ctx.filters();
    const all = (filters.all ?? []).some((x) => ['1', 'true'].includes(x.toLowerCase()));
    // API 1.42 made prune keep named volumes unless asked for all.
    const result = await v.prune(filters, { anonymousOnly: ctx.atLeast('1.42') && !all });
    engine.events.publish('volume', 'prune', '', { reclaimed: String(result.SpaceReclaimed) });
    ctx.reply(200, result);
  });

  router.add('GET', '/volumes/{name}', async (ctx) => {
    ctx.reply(200, v.inspect(ctx.params.name));
  });

  router.add('DELETE', '/volumes/{name}', async (ctx) => {
    await v.remove(ctx.params.name, { force: ctx.flag('force') });
    engine.events.publish('volume', 'destroy', ctx.params.name, {});
    ctx.empty(204);
  });
}

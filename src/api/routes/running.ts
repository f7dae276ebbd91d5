import type { Engine } from '../../engine/index.js';
import type { Router } from '../router.js';
import { invalidArgument } from '../../util/errors.js';

/** Endpoints for containers that run: terminal size, processes, pause. */
export function runningRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/containers/{id}/top', async (ctx) => {
    ctx.reply(200, await engine.io.top(ctx.params.id, ctx.query.get('ps_args') ?? ''));
  });

  router.add('GET', '/containers/{id}/stats', async (ctx) => {
    const abort = new AbortController();
    const readings = engine.stats(ctx.params.id, { stream: ctx.flag('stream', true), oneShot: ctx.flag('one-shot'), signal: abort.signal });
    engine.containers.find(ctx.params.id); // 404 before the answer starts
    const out = ctx.stream(200, 'application/json');
    ctx.req.socket.once('close', () => abort.abort());
    for await (const r of readings) {
      if (out.destroyed) break;
      out.write(JSON.stringify(r) + '\n');
    }
    abort.abort();
    out.end();
  });

  router.add('POST', '/containers/{id}/update', async (ctx) => {
    const body = await ctx.json<Record<string, unknown>>();
    const res = await engine.containers.updateResources(ctx.params.id, body ?? {});
    ctx.reply(200, { Warnings: res.Warnings });
  });

  router.add('POST', '/containers/{id}/pause', async (ctx) => {
    await engine.containers.setPaused(ctx.params.id, true);
    ctx.empty(204);
  });

  router.add('POST', '/containers/{id}/unpause', async (ctx) => {
    await engine.containers.setPaused(ctx.params.id, false);
    ctx.empty(204);
  });

  router.add('POST', '/containers/{id}/resize', async (ctx) => {
    const h = ctx.int('h');
    const w = ctx.int('w');
    if (h === undefined || w === undefined || h < 0 || w < 0) throw invalidArgument('invalid height or width');
    await engine.io.resize(ctx.params.id, h, w);
    ctx.empty(200);
  });
}

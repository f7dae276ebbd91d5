import { type Engine, diskUsage } from '../../engine/index.js';
import type { Router } from '../router.js';

export function dfRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/system/df', async (ctx) => {
    ctx.reply(200, await diskUsage(engine, ctx.query.getAll('type')));
  });
}

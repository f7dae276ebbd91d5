import type { Engine } from '../../engine/index.js';
import type { Router } from '../router.js';
import { invalidArgument } from '../../util/errors.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** docker cp (archive HEAD/GET/PUT) and docker diff (changes). */
export function archiveRoutes(router: Router, engine: Engine): void {
  const a = engine.archive;

  const path = (p: string | null): string => {
    if (!p) throw invalidArgument('path cannot be empty');
    return p;
  };

  // The router sends HEAD here too: HEAD answers the stat header alone.
  router.add('GET', '/containers/{id}/archive', async (ctx) => {
    const p = path(ctx.query.get('path'));
    const statHeader = (stat: unknown) => Buffer.from(JSON.stringify(stat)).toString('base64');
    if (ctx.req.method === 'HEAD') {
      const stat = await a.stat(ctx.params.id, p);
      ctx.res?.setHeader(STAT_HEADER, statHeader(stat));
      ctx.empty(200);
      return;
    }
    await a.export(ctx.params.id, p, (stat) => {
      ctx.res?.setHeader(STAT_HEADER, statHeader(stat));
      return ctx.stream(200, 'application/x-tar');
    });
  });

  router.add('PUT', '/containers/{id}/archive', async (ctx) => {
    await a.extract(ctx.params.id, path(ctx.query.get('path')), ctx.req, {
      noOverwriteDirNonDir: ctx.flag('noOverwriteDirNonDir'),
      copyUIDGID: ctx.flag('copyUIDGID'),
    });
    ctx.empty(200);
  });

  router.add('GET', '/containers/{id}/changes', async (ctx) => {
    ctx.reply(200, await engine.containers.changes(ctx.params.id));
  });
}

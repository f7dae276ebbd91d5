import type { Engine, EngineEvent } from '../../engine/index.js';
import type { Router } from '../router.js';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION } from '../version.js';
import { invalidArgument } from '../../util/errors.js';

export function systemRoutes(router: Router, engine: Engine): void {
  const ping = async (ctx: import('../context.js').Context) => {
    const res = ctx.res!;
    const headers = {
      ...ctx.baseHeaders,
      'Builder-Version': '1',
      Swarm: 'inactive',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
    };
    if (ctx.req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': '0' });
      res.end();
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': '2' });
      res.end('OK');
    }
  };
  router.add('GET', '/_ping', ping);
  router.add('HEAD', '/_ping', ping);

  router.add('GET', '/version', async (ctx) => {
    ctx.reply(200, await engine.versionInfo(ENGINE_VERSION, API_VERSION, MIN_API_VERSION));
  });

  router.add('GET', '/info', async (ctx) => {
    ctx.reply(200, await engine.info(ENGINE_VERSION));
  });

  router.add('GET', '/events', async (ctx) => {
    const filters = ctx.filters();
    const since = parseTime(ctx.query.get('since'));
    const until = parseTime(ctx.query.get('until'));
    const matches = (e: EngineEvent) => eventMatches(e, filters);
    const out = ctx.stream(200, 'application/json');
    const write = (e: EngineEvent) => {
      if (until !== undefined && e.timeNano > until) return;
      if (matches(e)) out.write(JSON.stringify(e) + '\n');
    };
    if (since !== undefined) for (const e of engine.events.history()) if (e.timeNano >= since) write(e);
    if (until !== undefined && until <= Date.now() * 1e6) {
      out.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const off = engine.events.subscribe(write);
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        off();
        if (timer) clearTimeout(timer);
        out.end();
        resolve();
      };
      if (until !== undefined) timer = setTimeout(done, Math.max(0, until / 1e6 - Date.now()));
      ctx.req.socket.on('close', done);
    });
  });
}

/** Docker accepts Unix seconds (with fraction) or RFC3339; the result is nanoseconds. */
function parseTime(raw: string | null): number | undefined {
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.floor(Number(raw) * 1e9);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw invalidArgument(`invalid time value: ${raw}`);
  return ms * 1e6;
}

const PREFIX_EVENTS = new Set(['health_status', 'exec_create', 'exec_start']);

function eventMatches(e: EngineEvent, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const attr = e.Actor.Attributes;
    let ok: boolean;
    switch (key) {
      case 'type':
        ok = values.includes(e.Type);
        break;
      case 'event':
        // As moby: "health_status", "exec_create" and "exec_start" also match their "name: detail" actions.
        ok = values.some((v) => v === e.Action || (PREFIX_EVENTS.has(v) && e.Action.startsWith(`${v}: `)));
        break;
      case 'container':
        ok = e.Type === 'container' && values.some((v) => e.Actor.ID.startsWith(v) || attr.name === v);
        break;
      case 'image':
        ok = values.some((v) => attr.image === v || e.Actor.ID === v);
        break;
      case 'label':
        ok = values.every((v) => {
          const i = v.indexOf('=');
          return i < 0 ? v in attr : attr[v.slice(0, i)] === v.slice(i + 1);
        });
        break;
      default:
        ok = true;
    }
    if (!ok) return false;
  }
  return true;
}

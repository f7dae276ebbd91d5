import type { Engine } from '../../engine/index.js';
import type { Router } from '../router.js';
import type { Context } from '../context.js';
import { invalidArgument, messageOf } from '../../util/errors.js';
import { frame } from '../frames.js';
import { readFirstJson } from '../first-json.js';

interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** Docker's exec endpoints: create, start (hijacked), inspect, resize. */
export function execRoutes(router: Router, engine: Engine): void {
  const x = engine.execs;

  router.add('POST', '/containers/{id}/exec', async (ctx) => {
    const body = await ctx.json<Record<string, unknown>>();
    if (body === undefined || body === null || typeof body !== 'object') throw invalidArgument('exec config cannot be empty');
    ctx.reply(201, x.create(ctx.params.id, body));
  });

  router.add('POST', '/exec/{id}/start', async (ctx) => {
    // dockerode sends the body and keeps the request open as stdin: read only the first JSON object.
    const input = ctx.upgradeSocket ?? ctx.req;
    const length = ctx.upgradeSocket && ctx.req.headers['content-length'] ? Number(ctx.req.headers['content-length']) : undefined;
    const body = ((await readFirstJson(input, length)) ?? {}) as ExecStartBody;
    const tty = body.Tty ?? x.tty(ctx.params.id);
    if (body.Detach) {
      await x.start(ctx.params.id, { detach: true, tty });
      if (ctx.upgradeSocket) ctx.hijack('application/vnd.docker.raw-stream').close();
      else ctx.reply(200);
      return;
    }
    x.inspect(ctx.params.id); // 404 before the connection is taken over
    await startAttached(ctx, engine, tty);
  });

  router.add('GET', '/exec/{id}/json', async (ctx) => {
    ctx.reply(200, x.inspect(ctx.params.id));
  });

  router.add('POST', '/exec/{id}/resize', async (ctx) => {
    const h = ctx.int('h');
    const w = ctx.int('w');
    if (!h || !w || h < 0 || w < 0) throw invalidArgument('invalid height or width');
    await x.resize(ctx.params.id, h, w);
    ctx.empty(200);
  });
}

async function startAttached(ctx: Context, engine: Engine, tty: boolean): Promise<void> {
  const conn = ctx.hijack(tty || !ctx.atLeast('1.42') ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  const write = (stream: 1 | 2, data: Buffer) => {
    if (conn.output.destroyed || conn.output.writableEnded) return;
    conn.output.write(tty ? data : frame(stream, data));
  };
  try {
    await engine.execs.start(ctx.params.id, { detach: false, tty, streams: { input: conn.input, write } });
  } catch (err) {
    // The answer is already on its way: as moby does, the error goes into the stream.
    const text = Buffer.from(`${messageOf(err)}\r\n`);
    if (!conn.output.destroyed) conn.output.write(tty ? text : frame(1, text));
  }
  conn.close();
}

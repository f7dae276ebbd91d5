import type { Engine } from '../../engine/index.js';
import type { Context } from '../context.js';
import type { Router } from '../router.js';
import type { ContainerCreateBody } from '../../spec/docker-container.js';
import { invalidArgument } from '../../util/errors.js';
import { dockerTimestamp, frame, writeWithBackpressure } from '../frames.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../util/detach-keys.js';

export function containerRoutes(router: Router, engine: Engine): void {
  const c = engine.containers;

  router.add('POST', '/containers/create', async (ctx) => {
    const body = await ctx.json<ContainerCreateBody>();
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw invalidArgument('config cannot be empty in order to create a container');
    }
    const name = ctx.query.get('name') ?? undefined;
    ctx.reply(201, await c.create(body, name || undefined));
  });

  router.add('GET', '/containers/json', async (ctx) => {
    const limit = ctx.int('limit');
    ctx.reply(200, c.list({ all: ctx.flag('all'), limit: limit && limit > 0 ? limit : undefined, filters: ctx.filters() }));
  });

  router.add('GET', '/containers/{id}/json', async (ctx) => {
    ctx.reply(200, c.inspect(ctx.params.id));
  });

  router.add('POST', '/containers/{id}/start', async (ctx) => {
    await c.start(ctx.params.id);
    ctx.empty(204);
  });

  router.add('POST', '/containers/{id}/stop', async (ctx) => {
    await c.stop(ctx.params.id, { timeout: ctx.int('t'), signal: ctx.query.get('signal') ?? undefined });
    ctx.empty(204);
  });

  router.add('POST', '/containers/{id}/restart', async (ctx) => {
    await c.restart(ctx.params.id, { timeout: ctx.int('t'), signal: ctx.query.get('signal') ?? undefined });
    ctx.empty(204);
  });

  router.add('POST', '/containers/{id}/kill', async (ctx) => {
    await c.kill(ctx.params.id, ctx.query.get('signal') || 'SIGKILL');
    ctx.empty(204);
  });

  router.add('POST', '/containers/{id}/rename', async (ctx) => {
    await c.rename(ctx.params.id, ctx.query.get('name') ?? '');
    ctx.empty(204);
  });

  router.add('DELETE', '/containers/{id}', async (ctx) => {
    await c.remove(ctx.params.id, { force: ctx.flag('force'), volumes: ctx.flag('v') });
    ctx.empty(204);
  });

  router.add('POST', '/containers/prune', async (ctx) => {
    ctx.reply(200, await c.prune(ctx.filters()));
  });

  router.add('POST', '/containers/{id}/wait', async (ctx) => {
    const condition = (ctx.query.get('condition') || 'not-running') as 'not-running';
    // Register before answering: clients send wait, then start, and must not miss the exit.
    const result = c.wait(ctx.params.id, condition);
    const out = ctx.stream(200, 'application/json');
    const closed = new Promise<void>((resolve) => ctx.req.socket.once('close', () => resolve()));
    const outcome = await Promise.race([result, closed]);
    if (outcome) out.end(JSON.stringify(outcome) + '\n');
  });

  router.add('GET', '/containers/{id}/logs', async (ctx) => {
    const stdout = ctx.flag('stdout');
    const stderr = ctx.flag('stderr');
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tailRaw = ctx.query.get('tail');
    const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? undefined : Number(tailRaw);
    if (tail !== undefined && !Number.isInteger(tail)) throw invalidArgument(`invalid tail value: ${tailRaw}`);
    const abort = new AbortController();
    const { tty, records } = c.logs(ctx.params.id, {
      follow: ctx.flag('follow'),
      tail: tail !== undefined && tail >= 0 ? tail : undefined,
      sinceNs: timeParam(ctx, 'since'),
      untilNs: timeParam(ctx, 'until'),
      signal: abort.signal,
    });
    const out = ctx.stream(200, streamType(ctx, tty));
    ctx.req.socket.once('close', () => abort.abort());
    await pump(records, out, { tty, stdout, stderr, timestamps: ctx.flag('timestamps') });
    out.end();
  });

  router.add('POST', '/containers/{id}/attach', async (ctx) => {
    const rec = c.find(ctx.params.id);
    const tty = rec.config.Tty === true;
    const stdout = ctx.flag('stdout');
    const stderr = ctx.flag('stderr');
    const abort = new AbortController();
    const follow = ctx.flag('stream');
    const { records } = follow
      ? c.logs(rec.id, { attach: true, signal: abort.signal })
      : c.logs(rec.id, { follow: false, signal: abort.signal });
    const wantLogs = ctx.flag('logs');
    // On a terminal, the detach keys (docker's default ctrl-p,ctrl-q) end the attach; the container runs on.
    const detachKeys = tty ? parseDetachKeys(ctx.query.get('detachKeys') || DEFAULT_DETACH_KEYS) : undefined;
    const conn = ctx.hijack(streamType(ctx, tty));
    ctx.req.socket.once('close', () => abort.abort());
    if (ctx.flag('stdin') && follow) {
      const done = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
      void engine.io.forwardStdin(rec.id, conn.input, done, { detachKeys }).then((how) => how === 'detached' && abort.abort(), () => undefined);
    }
    if (wantLogs && follow) {
      await pump(c.logs(rec.id, { follow: false, signal: abort.signal }).records, conn.output, { tty, stdout, stderr, timestamps: false });
    }
    if (follow || wantLogs) await pump(records, conn.output, { tty, stdout, stderr, timestamps: false });
    abort.abort(); // ends stdin forwarding too
    conn.close();
  });
}

function streamType(ctx: Context, tty: boolean): string {
  return !tty && ctx.atLeast('1.42') ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

/** Docker's since/until: Unix seconds with an optional fraction; 0 means unset. */
function timeParam(ctx: Context, name: string): bigint | undefined {
  const raw = ctx.query.get(name);
  if (!raw || raw === '0') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(raw);
  if (!m) throw invalidArgument(`invalid value for "${name}": ${raw}`);
  return BigInt(m[1]) * 1000000000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

async function pump(
  records: AsyncIterable<{ time: string; stream: 'stdout' | 'stderr'; partial: boolean; data: Buffer }>,
  out: import('node:stream').Writable,
  o: { tty: boolean; stdout: boolean; stderr: boolean; timestamps: boolean },
): Promise<void> {
  let lineStart = true;
  for await (const r of records) {
    if (r.stream === 'stdout' ? !o.stdout : !o.stderr) continue;
    let payload = r.partial ? r.data : Buffer.concat([r.data, Buffer.from('\n')]);
    if (o.timestamps && lineStart) payload = Buffer.concat([Buffer.from(dockerTimestamp(r.time) + ' '), payload]);
    lineStart = !r.partial;
    const chunk = o.tty ? payload : frame(r.stream === 'stdout' ? 1 : 2, payload);
    if (out.destroyed || out.writableEnded) return;
    await writeWithBackpressure(out, chunk);
  }
}

/**
 * The legacy builder API: `POST /build` takes the context as a tar body and
 * answers docker's JSON progress stream (`stream`, `aux`, `errorDetail`);
 * `POST /build/prune`; `POST /build/cancel?id=` stops a build started with
 * `buildid`. As dockerd, a failure before the first line is a plain error
 * with a status; after it, the stream's last line.
 */
import type { Writable } from 'node:stream';
import type { BuildMessage, Engine } from '../../engine/index.js';
import { invalidArgument, messageOf } from '../../util/errors.js';
import type { Context } from '../context.js';
import type { Router } from '../router.js';

export function buildRoutes(router: Router, engine: Engine): void {
  const running = new Map<string, AbortController>();

  router.add('POST', '/build', async (ctx) => {
    if (ctx.query.get('version') === '2') throw invalidArgument('BuildKit (version=2) is not supported by this daemon; use the legacy builder (DOCKER_BUILDKIT=0)');
    const remote = ctx.query.get('remote');
    if (remote) throw invalidArgument(`building from a remote context (${remote}) is not supported; send the context as the request body`);
    const abort = new AbortController();
    const buildId = ctx.query.get('buildid');
    if (buildId) running.set(buildId, abort);
    let finished = false;
    // The client going away (ctrl-c) stops the build; per response, so kept-alive sockets gather no listeners.
    ctx.res?.once('close', () => {
      if (!finished) abort.abort();
    });
    let out: Writable | undefined;
    const emit = (m: BuildMessage) => {
      out ??= ctx.stream(200, 'application/json');
      if (!out.writableEnded) out.write(JSON.stringify(m) + '\n');
    };
    try {
      await engine.builds.build(
        {
          context: ctx.req,
          dockerfile: ctx.query.get('dockerfile') || undefined,
          tags: ctx.query.getAll('t').filter((t) => t !== ''),
          buildArgs: jsonParam<Record<string, string | null>>(ctx, 'buildargs') ?? {},
          labels: jsonParam<Record<string, string>>(ctx, 'labels') ?? {},
          noCache: ctx.flag('nocache'),
          pull: ctx.flag('pull'),
          quiet: ctx.flag('q'),
          target: ctx.query.get('target') || undefined,
          networkMode: ctx.query.get('networkmode') || undefined,
          extraHosts: ctx.query.getAll('extrahosts').flatMap((h) => h.split(',')).filter((h) => h !== ''),
          platform: ctx.query.get('platform') || undefined,
          secrets: secretsOf(ctx),
          registryAuth: registryConfigOf(ctx),
          cacheFrom: jsonParam<string[]>(ctx, 'cachefrom') ?? [],
          signal: abort.signal,
        },
        emit,
      );
    } catch (err) {
      if (!out) throw err;
      const message = messageOf(err);
      emit({ errorDetail: { message }, error: message });
    } finally {
      finished = true;
      if (buildId) running.delete(buildId);
    }
    out ??= ctx.stream(200, 'application/json');
    out.end();
  });

  router.add('POST', '/build/cancel', async (ctx) => {
    running.get(ctx.query.get('id') ?? '')?.abort();
    ctx.empty(200);
  });

  router.add('POST', '/build/prune', async (ctx) => {
    const filters = ctx.filters();
    const until = filters.until?.[0];
    const ms = until === undefined ? undefined : durationMs(until);
    const keep = ctx.query.get('keep-storage');
    const keepStorage = keep ? Number(keep) : undefined;
    if (keepStorage !== undefined && !(Number.isInteger(keepStorage) && keepStorage >= 0)) throw invalidArgument(`invalid keep-storage: ${keep}`);
    ctx.reply(200, await engine.builds.prune({ all: ctx.flag('all'), until: ms, keepStorage }));
  });
}

function jsonParam<T>(ctx: Context, name: string): T | undefined {
  const raw = ctx.query.get(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw invalidArgument(`invalid ${name}: ${raw}`);
  }
}

/** berth's own header for RUN --mount=type=secret: base64 JSON {id: base64 content}. */
function secretsOf(ctx: Context): Record<string, Buffer> {
  const raw = ctx.req.headers['x-berth-build-secrets'];
  if (typeof raw !== 'string' || raw === '') return {};
  try {
    const map = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Record<string, string>;
    return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  } catch {
    throw invalidArgument('invalid X-Berth-Build-Secrets header');
  }
}

/** X-Registry-Config (base64url JSON, server → AuthConfig) as X-Registry-Auth values per server. */
function registryConfigOf(ctx: Context): Record<string, string> {
  const raw = ctx.req.headers['x-registry-config'];
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  let map: unknown;
  try {
    map = JSON.parse(Buffer.from(raw.trim(), 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('invalid X-Registry-Config header: not base64url-encoded JSON');
  }
  if (typeof map !== 'object' || map === null) return {};
  return Object.fromEntries(Object.entries(map as Record<string, unknown>).map(([server, auth]) => [server, Buffer.from(JSON.stringify(auth)).toString('base64url')]));
}

/** Go durations as `until` takes them ("24h", "30m"); a bare number is seconds. */
function durationMs(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
  let matched = '';
  for (const m of text.matchAll(re)) {
    matched += m[0];
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  }
  if (matched !== text) throw invalidArgument(`invalid filter 'until': ${text}`);
  return total;
}

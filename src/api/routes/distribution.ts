/**
 * Registry endpoints: pull (`POST /images/create?fromImage=`), push and
 * `POST /auth`. Pull and push answer Docker's JSON progress stream. The stream
 * starts with the first progress line, so a failure before it (unknown tag,
 * registry down, bad credentials) is a plain error with a status code, as from
 * dockerd; a failure after it is the stream's last line (`errorDetail`).
 */
import type { Writable } from 'node:stream';
import { decodeRegistryAuth, type Engine, type JsonMessage } from '../../engine/index.js';
import { invalidArgument, messageOf } from '../../util/errors.js';
import { splitTag } from '../../util/reference.js';
import type { Context } from '../context.js';
import type { Router } from '../router.js';

export function distributionRoutes(router: Router, engine: Engine): void {
  router.add('POST', '/images/{name*}/push', async (ctx) => {
    const tag = ctx.query.get('tag');
    const reference = tag ? `${stripTag(ctx.params.name)}:${tag}` : ctx.params.name;
    // As dockerd: no tag and none in the name pushes every local tag (`docker push -a`).
    const allTags = !tag && !/[@]|:[^/]*$/.test(ctx.params.name);
    const credentials = decodeRegistryAuth(headerOf(ctx, 'x-registry-auth'));
    await withProgress(ctx, (progress) => engine.distribution.push({ reference, allTags, credentials, progress }));
  });

  router.add('GET', '/distribution/{name*}/json', async (ctx) => {
    const credentials = decodeRegistryAuth(headerOf(ctx, 'x-registry-auth'));
    ctx.reply(200, await engine.distribution.inspect(ctx.params.name, credentials));
  });

  router.add('POST', '/auth', async (ctx) => {
    const body = (await ctx.json<Record<string, string>>()) ?? {};
    const credentials = decodeRegistryAuth(Buffer.from(JSON.stringify(body)).toString('base64url'));
    ctx.reply(200, await engine.distribution.login(body.serveraddress, credentials));
  });
}

/** `POST /images/create?fromImage=&tag=&platform=`, called by the images route. */
export async function pullRoute(ctx: Context, engine: Engine, fromImage: string): Promise<void> {
  const tag = ctx.query.get('tag');
  let reference = fromImage;
  if (tag) reference = /^[a-z0-9]+:[a-f0-9]{32,}$/.test(tag) ? `${fromImage}@${tag}` : `${stripTag(fromImage)}:${tag}`;
  if (reference === '') throw invalidArgument('repository name must have at least one component');
  const credentials = decodeRegistryAuth(headerOf(ctx, 'x-registry-auth'));
  const platform = ctx.query.get('platform') || undefined;
  // As dockerd: no tag and none in the name means every tag (`docker pull -a`).
  const allTags = !tag && !/[@]|:[^/]*$/.test(fromImage);
  // A client that goes away (Ctrl-C on `docker pull`) cancels the pull, as with dockerd.
  const gone = new AbortController();
  const onClose = (): void => {
    if (!ctx.res?.writableFinished) gone.abort();
  };
  ctx.res?.once('close', onClose);
  try {
    await withProgress(ctx, (progress) => engine.distribution.pull({ reference, allTags, platform, credentials, progress, signal: gone.signal }));
  } finally {
    ctx.res?.off('close', onClose);
  }
}

function stripTag(name: string): string {
  return splitTag(name).name;
}

function headerOf(ctx: Context, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Runs `work`, streaming its progress lines; opens the stream lazily (see top). */
async function withProgress(ctx: Context, work: (progress: (m: JsonMessage) => void) => Promise<unknown>): Promise<void> {
  let out: Writable | undefined;
  const progress = (m: JsonMessage) => {
    out ??= ctx.stream(200, 'application/json');
    if (!out.writableEnded && !out.destroyed) out.write(JSON.stringify(m) + '\n');
  };
  try {
    await work(progress);
  } catch (err) {
    if (!out) throw err;
    const message = messageOf(err);
    if (!out.destroyed) out.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
  }
  out ??= ctx.stream(200, 'application/json');
  out.end();
}

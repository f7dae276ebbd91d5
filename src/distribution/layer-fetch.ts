/**
 * Fetching blobs for a pull. A layer's bytes go two ways at once as they
 * arrive: into a content-store writer (hashed, checked against the blob digest
 * on commit) and into the image store's unpacker (gunzip, tar, hashed against
 * the diffID). The unpacked layer stays hidden in staging; the caller makes it
 * visible only once the blob verified. The slower side sets the pace: the next
 * chunk is read only when both took the last one.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Digest } from '../spec/ids.js';
import type { OciDescriptor } from '../spec/oci-image.js';
import type { BlobWriter, ContentStore } from '../store/index.js';
import { EngineError, invalidArgument } from '../util/errors.js';
import { causeText } from './auth.js';
import type { RegistryClient } from './registry-client.js';
import type { ProgressSink, PullSink, StagedLayer } from './types.js';

/** Disk writes are gathered to about this size: one write(2) per 64 KiB socket read costs more than it needs to. */
const WRITE_BATCH = 1 << 20;
/** About one progress line per 512 KiB: docker's bar, not a flood. */
const PROGRESS_STEP = 512 * 1024;

export interface LayerJob {
  desc: OciDescriptor;
  index: number;
  /** The blob is not in the content store yet. */
  needBlob: boolean;
  /** The layer is not unpacked yet. */
  needUnpack: boolean;
}

export interface FetchContext {
  content: ContentStore;
  client: RegistryClient;
  sink: PullSink;
  diffIds: readonly Digest[];
  progress: ProgressSink;
  signal?: AbortSignal;
}

/**
 * Gets one layer: downloads the blob (unpacking while downloading) or, when
 * the blob is here already, unpacks it from the store. Returns the staged
 * layer (not yet visible) when one was unpacked. On failure nothing of this
 * layer is left: the blob writer and the staging are both dropped.
 */
export async function fetchLayer(ctx: FetchContext, job: LayerJob): Promise<StagedLayer | undefined> {
  const { desc, index } = job;
  if (!job.needBlob) {
    if (!job.needUnpack) return undefined;
    return ctx.sink.stageLayer({ diffIds: ctx.diffIds, index, stream: await ctx.content.openBlob(desc.digest) });
  }
  const feed = job.needUnpack ? new PassThrough({ highWaterMark: 4 * WRITE_BATCH }) : undefined;
  const staging = feed ? ctx.sink.stageLayer({ diffIds: ctx.diffIds, index, stream: feed }) : undefined;
  // A failed unpack stops the download at once (the tee's next write rejects)
  // and is then the error reported: it explains the broken tee.
  let unpackFailure: { err: unknown } | undefined;
  staging?.catch((err: unknown) => {
    unpackFailure ??= { err };
    feed?.destroy(asError(err));
  });
  try {
    await download(ctx, desc, feed);
  } catch (err) {
    const cause = unpackFailure;
    feed?.destroy(asError(err));
    const staged = await staging?.catch(() => undefined);
    await staged?.discard();
    throw cause ? unpackError(ctx, desc, cause.err) : err;
  }
  try {
    return await staging;
  } catch (err) {
    throw unpackError(ctx, desc, err);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Streams the blob into the content store, and into `feed` when given (ended
 * on success). Commits the blob only when its size and digest match `desc`.
 */
async function download(ctx: FetchContext, desc: OciDescriptor, feed: PassThrough | undefined): Promise<void> {
  const id = shortId(desc.digest);
  const body = await ctx.client.blob(desc.digest, ctx.signal);
  const writer = await ctx.content.ingest({ expected: desc.digest, size: desc.size });
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let received = 0;
    let reported = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > desc.size) throw invalidArgument(`blob is larger than the expected ${desc.size} bytes`);
      pending.push(chunk);
      pendingBytes += chunk.length;
      const feeding = feed && !feed.write(chunk) ? once(feed, 'drain') : undefined;
      if (pendingBytes >= WRITE_BATCH) {
        await writeBatch(writer, pending);
        pending = [];
        pendingBytes = 0;
      }
      if (feeding) await feeding;
      if (reported === 0 || received - reported >= PROGRESS_STEP) {
        reported = received;
        ctx.progress({ status: 'Downloading', id, progressDetail: { current: received, total: desc.size }, progress: bar(received, desc.size) });
      }
    }
    await writeBatch(writer, pending);
    ctx.progress({ status: 'Verifying Checksum', id, progressDetail: {} });
    await writer.commit();
    ctx.progress({ status: 'Download complete', id, progressDetail: {} });
    feed?.end();
  } catch (err) {
    body.destroy();
    throw blobError(ctx, desc, err);
  } finally {
    await writer.abort();
  }
}

/** Fetches a small blob (a config) unless the store has it; verified on commit. */
export async function fetchSmallBlob(ctx: Pick<FetchContext, 'content' | 'client' | 'signal'>, desc: OciDescriptor): Promise<void> {
  if (await ctx.content.hasBlob(desc.digest)) return;
  const body = await ctx.client.blob(desc.digest, ctx.signal);
  const writer = await ctx.content.ingest({ expected: desc.digest, size: desc.size });
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) await writer.write(chunk);
    await writer.commit();
  } catch (err) {
    body.destroy();
    throw blobError(ctx, desc, err);
  } finally {
    await writer.abort();
  }
}

async function writeBatch(writer: BlobWriter, chunks: Buffer[]): Promise<void> {
  if (chunks.length === 0) return;
  await writer.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}

/**
 * Size and digest mismatches, and a connection that broke or went silent in
 * the middle of a blob, name the registry, the repository and the blob.
 */
function blobError(ctx: Pick<FetchContext, 'client'>, desc: OciDescriptor, err: unknown): unknown {
  const message = (err as Error)?.message ?? '';
  const where = `${ctx.client.domain}/${ctx.client.path}`;
  if (message.startsWith('blob ')) return invalidArgument(`${where}: ${message} for ${desc.digest}`);
  if (err instanceof EngineError || (err as Error)?.name === 'AbortError') return err;
  return new EngineError('Internal', `${where}: reading blob ${desc.digest}: ${causeText(err)}`);
}

function unpackError(ctx: FetchContext, desc: OciDescriptor, err: unknown): unknown {
  if (err instanceof EngineError && err.kind === 'InvalidArgument') {
    return invalidArgument(`${ctx.client.domain}/${ctx.client.path}: layer ${desc.digest}: ${err.message}`);
  }
  return err;
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure stops new starts and is rethrown after all settle. */
export async function runLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const out: R[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const at = next++;
      try {
        out[at] = await fn(items[at]);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed.err;
  return out;
}

export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** Docker's text bar: `[=====>      ]  1.2MB/3.4MB`. */
export function bar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const human = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}kB` : `${n}B`);
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}] ${human(current)}/${human(total)}`;
}

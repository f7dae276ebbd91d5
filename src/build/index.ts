/**
 * build/: images from Dockerfiles. The folder's only entrance.
 *
 * BuildService runs builds (builder.ts) over one layer cache (cache.ts) and
 * answers for that cache in `builder prune` and `system df`. After each
 * build, when no other runs, the cache is cut back to its bound (gc.ts),
 * least recently used entries first, as BuildKit's default GC policy does.
 */
import { readFile, rm, statfs } from 'node:fs/promises';
import { chainIdsOf, unmountOverlay } from '../image/index.js';
import { log } from '../util/log.js';
import { BuildCache, type CacheRecord } from './cache.js';
import { CacheLock } from './cache-lock.js';
import { build } from './builder.js';
import { cacheBytes, selectForRemoval } from './gc.js';
import type { BuildMessage, BuildRequest, BuildResult, BuilderDeps } from './types.js';

export type { BuildMessage, BuildRequest, BuildResult, BuilderDeps, ImagePuller, StepMount, StepProcess, StepRunner, StepSession } from './types.js';

/** A `GET /system/df` BuildCache row, as docker's API shapes it. */
export interface BuildCacheRow {
  ID: string;
  Parent: string | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

/** The automatic bound when none is given: 10 % of the data root's filesystem, at most 20 GB. */
const DEFAULT_KEEP_SHARE = 0.1;
const DEFAULT_KEEP_MAX = 20e9;

export class BuildService {
  /** Builds share the cache; prune and the GC wait for them and hold new ones back. */
  private readonly lock = new CacheLock();

  private constructor(
    private readonly deps: BuilderDeps,
    private readonly cache: BuildCache,
    /** The GC bound in bytes; 0 turns the automatic collection off. */
    readonly keepStorage: number,
  ) {}

  /**
   * Opens the cache; what a crash left of earlier builds (mounts, temp files)
   * is removed first. `keepStorage` is the GC bound (berthd --builder-gc-keep-storage).
   */
  static async open(deps: BuilderDeps, o: { keepStorage?: number } = {}): Promise<BuildService> {
    await clearLeftovers(deps.tmpDir);
    const keep = o.keepStorage ?? (await defaultKeepStorage(deps.dataRoot));
    return new BuildService(deps, await BuildCache.open(deps.dataRoot), keep);
  }

  /**
   * Runs one build; progress goes to `emit` in docker's legacy protocol.
   * Errors are thrown, nothing is tagged. It settles after the GC that
   * follows it, so what a client sees next is the cut-back cache.
   */
  async build(req: BuildRequest, emit: (m: BuildMessage) => void): Promise<BuildResult> {
    try {
      return await this.lock.shared(() => build(this.deps, this.cache, req, emit));
    } finally {
      if (this.keepStorage > 0 && this.lock.idle) {
        await this.lock.exclusive(() => this.collect()).catch((err: Error) => log.warn('build cache collection failed', { error: err.message }));
      }
    }
  }

  /** The automatic GC: least recently used entries go until the cache holds at most keepStorage bytes. */
  private async collect(): Promise<void> {
    const records = this.cache.all();
    // Cheap test first: counting every layer the cache added can only overstate what it alone keeps.
    if (cacheBytes(records) <= this.keepStorage) return;
    const imageLayers = await this.imageLayers();
    const r = await this.remove(selectForRemoval(records, { keepBytes: this.keepStorage, imageLayers, now: Date.now() }));
    if (r.CachesDeleted.length === 0) return;
    log.info('build cache collected', { entries: r.CachesDeleted.length, reclaimed: r.SpaceReclaimed, keepStorage: this.keepStorage });
  }

  usage(): BuildCacheRow[] {
    return this.cache.all().map(row);
  }

  /**
   * `builder prune`: drops cache entries, least recently used first (with
   * `until`, only those not used within that many milliseconds; with
   * `keepStorage`, only until the rest holds at most that many bytes) and
   * the layers only they kept; layers of images stay. berth's cache has no
   * shared or in-use entries, so `all` removes the same set. Returns what
   * docker's API returns.
   */
  prune(o: { all?: boolean; until?: number; keepStorage?: number } = {}): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    return this.lock.exclusive(async () => {
      const imageLayers = o.keepStorage ? await this.imageLayers() : undefined;
      return this.remove(selectForRemoval(this.cache.all(), { olderThanMs: o.until, keepBytes: o.keepStorage || undefined, imageLayers, now: Date.now() }));
    });
  }

  /** Chain IDs of every layer an image holds. */
  private async imageLayers(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const img of await this.deps.images.list({ all: true })) {
      const rec = await this.deps.images.resolve(img.Id).catch(() => undefined); // removed meanwhile
      for (const c of rec ? chainIdsOf(rec.config.rootfs.diff_ids) : []) out.add(c);
    }
    return out;
  }

  /** Removes the entries and the layers no remaining entry or image stands on. Call holding the lock alone. */
  private async remove(doomed: CacheRecord[]): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    for (const r of doomed) this.cache.delete(r.state.key);
    await this.cache.save();
    const kept = new Set(this.cache.all().flatMap((r) => r.state.layers.map((l) => l.chainId)));
    // Topmost first: a layer goes before the parent it was unpacked on.
    const layers = doomed
      .flatMap((r) => (r.layer && !kept.has(r.layer.chainId) ? [{ layer: r.layer, depth: r.state.layers.length }] : []))
      .sort((a, b) => b.depth - a.depth)
      .map((x) => x.layer);
    const freed = await this.deps.images.dropUnusedLayers(unique(layers));
    return { CachesDeleted: doomed.map(cacheId), SpaceReclaimed: freed };
  }
}

/** The layers without repeats (entries made by different steps can share one). */
function unique<T extends { chainId: string }>(layers: T[]): T[] {
  return [...new Map(layers.map((l) => [l.chainId, l] as const)).values()];
}

async function defaultKeepStorage(dataRoot: string): Promise<number> {
  try {
    const fs = await statfs(dataRoot);
    return Math.min(Math.floor(fs.blocks * fs.bsize * DEFAULT_KEEP_SHARE), DEFAULT_KEEP_MAX);
  } catch {
    return DEFAULT_KEEP_MAX;
  }
}

async function clearLeftovers(tmpDir: string): Promise<void> {
  const table = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const mounts = table
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((m): m is string => m !== undefined && m.startsWith(`${tmpDir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await unmountOverlay(m).catch(() => undefined);
  await rm(tmpDir, { recursive: true, force: true });
}

/** An entry's ID as `system df -v` and `builder prune` show it (BuildKit's are 25 characters too). */
const cacheId = (r: CacheRecord): string => r.state.key.slice(0, 25);

function row(r: CacheRecord): BuildCacheRow {
  return {
    ID: cacheId(r),
    Parent: null,
    Type: r.layer ? 'regular' : 'internal',
    Description: r.description,
    InUse: false,
    Shared: false,
    Size: r.size,
    CreatedAt: r.created,
    LastUsedAt: r.lastUsed,
    UsageCount: r.usageCount,
  };
}

/**
 * build/: images from Dockerfiles. The folder's only entrance.
 *
 * BuildService runs builds (builder.ts) over one layer cache (cache.ts) and
 * answers for that cache in `builder prune` and `system df`.
 */
import { readFile, rm } from 'node:fs/promises';
import { unmountOverlay } from '../image/index.js';
import { BuildCache, type CacheRecord } from './cache.js';
import { build } from './builder.js';
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

export class BuildService {
  /** Builds in progress: prune waits for them, so it never removes a layer a build stands on. */
  private readonly running = new Set<Promise<unknown>>();

  private constructor(private readonly deps: BuilderDeps, private readonly cache: BuildCache) {}

  /** Opens the cache; what a crash left of earlier builds (mounts, temp files) is removed first. */
  static async open(deps: BuilderDeps): Promise<BuildService> {
    await clearLeftovers(deps.tmpDir);
    return new BuildService(deps, await BuildCache.open(deps.dataRoot));
  }

  /** Runs one build; progress goes to `emit` in docker's legacy protocol. Errors are thrown, nothing is tagged. */
  build(req: BuildRequest, emit: (m: BuildMessage) => void): Promise<BuildResult> {
    const p = build(this.deps, this.cache, req, emit);
    const tracked = p.catch(() => undefined).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    return p;
  }

  usage(): BuildCacheRow[] {
    return this.cache.all().map(row);
  }

  /**
   * `builder prune`: drops every cache entry (with `until`, those not used
   * within that many milliseconds) and the layers only they kept; layers of
   * tagged images stay. berth's cache has no shared or in-use entries, so
   * `all` removes the same set. Returns what docker's API returns.
   */
  async prune(o: { all?: boolean; until?: number } = {}): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    await Promise.allSettled([...this.running]);
    const now = Date.now();
    const doomed = this.cache.all().filter((r) => o.until === undefined || now - Date.parse(r.lastUsed) >= o.until);
    for (const r of doomed) this.cache.delete(r.state.key);
    await this.cache.save();
    const kept = new Set(this.cache.all().flatMap((r) => r.state.layers.map((l) => l.chainId)));
    const layers = doomed.flatMap((r) => (r.layer && !kept.has(r.layer.chainId) ? [r.layer] : []));
    const freed = await this.deps.images.dropUnusedLayers(layers.reverse());
    return { CachesDeleted: doomed.map((r) => r.state.key), SpaceReclaimed: freed };
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

function row(r: CacheRecord): BuildCacheRow {
  return {
    ID: r.state.key.slice(0, 25),
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

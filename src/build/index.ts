/**
 * build/: images from Dockerfiles. The folder's only entrance.
 *
 * BuildService runs builds (builder.ts) over one layer cache (cache.ts) and
 * answers for that cache in `builder prune` and `system df`.
 */
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
  private constructor(private readonly deps: BuilderDeps, private readonly cache: BuildCache) {}

  static async open(deps: BuilderDeps): Promise<BuildService> {
    return new BuildService(deps, await BuildCache.open(deps.dataRoot));
  }

  /** Runs one build; progress goes to `emit` in docker's legacy protocol. Errors are thrown, nothing is tagged. */
  build(req: BuildRequest, emit: (m: BuildMessage) => void): Promise<BuildResult> {
    return build(this.deps, this.cache, req, emit);
  }

  usage(): BuildCacheRow[] {
    return this.cache.all().map(row);
  }

  /**
   * `builder prune`: drops cache entries (all with `all`, else those whose
   * layer no image uses... here: every entry not used within `until`), and
   * the layers only they kept. Returns what docker's API returns.
   */
  async prune(o: { all?: boolean; until?: number } = {}): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
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

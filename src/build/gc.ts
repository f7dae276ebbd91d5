/**
 * Which cache entries a collection removes, least recently used first.
 * Space counts what the cache alone keeps on disk: the layer each entry
 * added, once however many entries stand on it, only while some remaining
 * entry still stands on it (an entry's layers include its parents', so
 * removing a parent alone frees nothing while its children remain), and not
 * at all when an image holds it. Under a byte bound, an entry that holds no
 * counted layer costs nothing and is kept.
 */
import type { CacheRecord } from './cache.js';

export interface Selection {
  /** Only entries not used within this many milliseconds (`--filter until=`). */
  olderThanMs?: number;
  /** Stop once the remaining entries hold at most this many bytes (`--keep-storage`, the GC bound). */
  keepBytes?: number;
  now: number;
  /** Chain IDs of layers images hold: they stay whatever the cache does, so they are not its to count. */
  imageLayers?: ReadonlySet<string>;
}

/** The bytes the entries hold. */
export function cacheBytes(records: readonly CacheRecord[], imageLayers?: ReadonlySet<string>): number {
  return new Accounting(records, imageLayers).total;
}

/** The entries to remove, in the order they are given up. */
export function selectForRemoval(records: readonly CacheRecord[], o: Selection): CacheRecord[] {
  const candidates = records
    .filter((r) => o.olderThanMs === undefined || o.now - Date.parse(r.lastUsed) >= o.olderThanMs)
    .sort((a, b) => Date.parse(a.lastUsed) - Date.parse(b.lastUsed) || b.state.layers.length - a.state.layers.length);
  if (o.keepBytes === undefined) return candidates;
  const books = new Accounting(records, o.imageLayers);
  const out: CacheRecord[] = [];
  for (const r of candidates) {
    if (books.total <= o.keepBytes) break;
    if (!books.holds(r)) continue;
    books.remove(r);
    out.push(r);
  }
  return out;
}

/** Reference counts of the layers entries added, and the bytes still held. */
class Accounting {
  private readonly sizes = new Map<string, number>();
  private readonly refs = new Map<string, number>();
  total = 0;

  constructor(records: readonly CacheRecord[], imageLayers: ReadonlySet<string> = new Set()) {
    for (const r of records) if (r.layer && !imageLayers.has(r.layer.chainId)) this.sizes.set(r.layer.chainId, r.size);
    for (const r of records) {
      for (const l of r.state.layers) {
        if (!this.sizes.has(l.chainId)) continue; // a base image's layer: not the cache's
        const n = this.refs.get(l.chainId) ?? 0;
        if (n === 0) this.total += this.sizes.get(l.chainId) as number;
        this.refs.set(l.chainId, n + 1);
      }
    }
  }

  /** Whether the entry stands on a counted layer. */
  holds(r: CacheRecord): boolean {
    return r.state.layers.some((l) => this.refs.has(l.chainId));
  }

  remove(r: CacheRecord): void {
    for (const l of r.state.layers) {
      const n = this.refs.get(l.chainId);
      if (n === undefined) continue;
      this.refs.set(l.chainId, n - 1);
      if (n === 1) this.total -= this.sizes.get(l.chainId) as number;
    }
  }
}

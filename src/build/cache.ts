/**
 * The layer cache: step key → the state the step produced, persisted as one
 * JSON file under `<data-root>/build/`. Entries point at layers in the image
 * store; an entry whose layers were removed since (rmi) is a miss and is
 * dropped. The file is rewritten once per build (atomically); a crash loses
 * at most that build's new entries.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { hasCode } from '../util/errors.js';
import type { ImageState, StateLayer } from './state.js';

export interface CacheRecord {
  /** The resulting state (its `key` is the entry's key). */
  state: ImageState;
  /** The step, as docker describes it in `builder prune` / df ("RUN echo hi"). */
  description: string;
  /** The layer this step added, if any (metadata steps add none). */
  layer?: StateLayer;
  size: number;
  created: string;
  lastUsed: string;
  usageCount: number;
}

export class BuildCache {
  private readonly records = new Map<string, CacheRecord>();
  /** New or removed entries: written with fsync. */
  private dirty = false;
  /** Only usage times changed: written without waiting for the disk (losing them in a crash costs nothing). */
  private touched = false;

  private constructor(private readonly file: string) {}

  static async open(dataRoot: string): Promise<BuildCache> {
    const cache = new BuildCache(join(dataRoot, 'build', 'cache.json'));
    try {
      const list = JSON.parse(await readFile(cache.file, 'utf8')) as CacheRecord[];
      for (const r of list) cache.records.set(r.state.key, r);
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
    }
    return cache;
  }

  get(key: string): CacheRecord | undefined {
    const r = this.records.get(key);
    if (r) {
      r.lastUsed = new Date().toISOString();
      r.usageCount++;
      this.touched = true;
    }
    return r;
  }

  put(r: Omit<CacheRecord, 'created' | 'lastUsed' | 'usageCount'>): void {
    const now = new Date().toISOString();
    this.records.set(r.state.key, { ...r, created: now, lastUsed: now, usageCount: 1 });
    this.dirty = true;
  }

  delete(key: string): void {
    if (this.records.delete(key)) this.dirty = true;
  }

  all(): CacheRecord[] {
    return [...this.records.values()];
  }

  async save(): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      this.touched = false;
      await writeFileAtomic(this.file, JSON.stringify([...this.records.values()]));
    } else if (this.touched) {
      this.touched = false;
      const tmp = `${this.file}.tmp-${process.pid}`;
      await writeFile(tmp, JSON.stringify([...this.records.values()]));
      await rename(tmp, this.file);
    }
  }
}

/**
 * Unpacked layers, shared by every image that has them:
 *
 *   layers/<chainid-hex>/diff        the layer's files, ready to be an overlay lowerdir
 *   layers/<chainid-hex>/meta.json   LayerMeta
 *
 * A layer directory appears in one rename of a complete staging directory
 * (`layers/.tmp-*`), so one that exists is whole; leftovers of a crash are staging
 * or doomed directories, also named `.tmp-*`, and are deleted at open.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainId, Digest } from '../spec/ids.js';
import { digestHex, sha256Digest } from '../store/index.js';
import { isTempName, syncDir, writeJsonAtomic } from '../util/atomic.js';
import { hasCode } from '../util/errors.js';
import { execFileText } from '../util/exec.js';
import { log } from '../util/log.js';

export interface LayerMeta {
  chainId: ChainId;
  diffId: Digest;
  /** The chain this layer sits on; null for a bottom layer. */
  parent: ChainId | null;
  /** Bytes of file content and symlink targets (what Docker reports as layer size). */
  size: number;
}

/**
 * Chain IDs per the OCI image spec: chain(L0) = diffID(L0),
 * chain(Ln) = sha256(chain(Ln-1) + " " + diffID(Ln)). Bottom layer first.
 */
export function chainIdsOf(diffIds: readonly Digest[]): ChainId[] {
  const out: ChainId[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push((prev === undefined ? diffId : sha256Digest(`${prev} ${diffId}`)) as string as ChainId);
  }
  return out;
}

/**
 * A layer being prepared. Lifecycle: `stage()` → fill `diffDir` → `commit(meta)`
 * (the layer appears whole) or `discard()`. After either, the staging is spent;
 * `discard` after `commit` is a no-op, so it can sit in a `finally`.
 */
export interface LayerStaging {
  readonly diffDir: string;
  /**
   * 'existed' when the same chain was committed meanwhile; this copy is then
   * dropped. With `synced`, the caller has already flushed the filesystem
   * (one `syncfs` for a batch of layers) and the per-layer flush is skipped.
   */
  commit(meta: LayerMeta, o?: { synced?: boolean }): Promise<'created' | 'existed'>;
  discard(): Promise<void>;
}

export class LayerStore {
  private readonly dir: string;
  private readonly metas = new Map<ChainId, LayerMeta>();

  constructor(dataRoot: string) {
    this.dir = join(dataRoot, 'layers');
  }

  /** Creates `layers/`, deletes crash leftovers and loads every layer's metadata. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      if (isTempName(name)) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      try {
        const meta = JSON.parse(await readFile(join(path, 'meta.json'), 'utf8')) as LayerMeta;
        if (digestHex(meta.chainId) === name) this.metas.set(meta.chainId, meta);
        else log.warn('ignoring layer directory whose metadata names another layer', { dir: path });
      } catch (err) {
        log.warn('ignoring unreadable layer directory', { dir: path, error: String(err) });
      }
    }
  }

  get(chainId: ChainId): LayerMeta | undefined {
    return this.metas.get(chainId);
  }

  has(chainId: ChainId): boolean {
    return this.metas.has(chainId);
  }

  /** Where the layer's files are (or would be). */
  diffDir(chainId: ChainId): string {
    return join(this.layerDir(chainId), 'diff');
  }

  /** Absolute path of the layer directory (for inspect's GraphDriver data). */
  layerDir(chainId: ChainId): string {
    return join(this.dir, digestHex(chainId));
  }

  async stage(): Promise<LayerStaging> {
    const staging = join(this.dir, `.tmp-layer-${randomBytes(8).toString('hex')}`);
    const diffDir = join(staging, 'diff');
    await mkdir(diffDir, { recursive: true });
    await chmod(diffDir, 0o755); // the root of the image's filesystem; not subject to umask
    let spent = false;
    const discard = async (): Promise<void> => {
      spent = true;
      await rm(staging, { recursive: true, force: true });
    };
    const commit = async (meta: LayerMeta, o: { synced?: boolean } = {}): Promise<'created' | 'existed'> => {
      if (spent) throw new Error('layer staging already used');
      spent = true;
      try {
        if (this.metas.has(meta.chainId)) return 'existed';
        await writeJsonAtomic(join(staging, 'meta.json'), meta);
        // Flush the unpacked files before the rename makes them visible: after a
        // crash a layer directory must never hold empty or short files.
        if (!o.synced) await syncFilesystem(staging);
        const target = this.layerDir(meta.chainId);
        try {
          await rename(staging, target);
        } catch (err) {
          if (hasCode(err, 'EEXIST') || hasCode(err, 'ENOTEMPTY')) return 'existed';
          throw err;
        }
        await syncDir(this.dir);
        this.metas.set(meta.chainId, meta);
        return 'created';
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    };
    return { diffDir, commit, discard };
  }

  /** The directory staging areas live in (on the same filesystem as every layer). */
  get root(): string {
    return this.dir;
  }

  /**
   * Deletes a layer: first renamed out of sight (so it is never seen half
   * deleted), then removed. Returns the bytes freed (its recorded size).
   */
  async remove(chainId: ChainId): Promise<number> {
    const meta = this.metas.get(chainId);
    this.metas.delete(chainId);
    const doomed = join(this.dir, `.tmp-rm-${digestHex(chainId)}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(this.layerDir(chainId), doomed);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return 0;
      throw err;
    }
    await syncDir(this.dir);
    await rm(doomed, { recursive: true, force: true });
    return meta?.size ?? 0;
  }

  /** True when the layer's diff directory is really there (not only its metadata). */
  async present(chainId: ChainId): Promise<boolean> {
    if (!this.metas.has(chainId)) return false;
    try {
      return (await stat(this.diffDir(chainId))).isDirectory();
    } catch {
      return false;
    }
  }
}

/** Flushes the whole filesystem holding `path` (syncfs(2) through `sync -f`). */
export async function syncFilesystem(path: string): Promise<void> {
  await execFileText('sync', ['-f', path]);
}

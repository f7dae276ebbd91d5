/**
 * Where blobs came from: for each blob digest, the registries and repositories
 * it was pulled from or pushed to (docker's "v2 metadata"). Push uses it to ask
 * a registry to mount a blob from another repository it already holds instead
 * of uploading the bytes again.
 *
 *   <dir>/<digest-hex>   JSON array of { registry, repository }, newest first
 *
 * It is a hint cache: a lost or stale entry only costs an upload (the registry
 * refuses a mount it cannot do and the blob is then sent), so writes are
 * atomic (temp + rename) but not flushed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, parseDigest } from '../store/index.js';

export interface BlobSource {
  /** `127.0.0.1:5000`, `docker.io`. */
  registry: string;
  /** The repository path on that registry: `library/busybox`. */
  repository: string;
}

/** Entries kept per blob: enough to find a sibling repository, small enough to stay cheap. */
const KEEP = 8;

export class BlobSources {
  constructor(private readonly dir: string) {}

  async get(digest: string): Promise<BlobSource[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file(digest), 'utf8')) as unknown;
      return Array.isArray(parsed) ? parsed.filter(isSource) : [];
    } catch {
      return [];
    }
  }

  /** Records that `digest` is in `source` (moved to the front when known). */
  async add(digests: readonly string[], source: BlobSource): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const digest of digests) {
      const known = (await this.get(digest)).filter((s) => s.registry !== source.registry || s.repository !== source.repository);
      const file = this.file(digest);
      const tmp = join(this.dir, `.tmp-${digestHex(digest)}-${randomBytes(4).toString('hex')}`);
      await writeFile(tmp, JSON.stringify([source, ...known].slice(0, KEEP)));
      await rename(tmp, file);
    }
  }

  /** A repository other than `repository` on `registry` that holds `digest`, if one is known. */
  async mountCandidate(digest: string, registry: string, repository: string): Promise<string | undefined> {
    return (await this.get(digest)).find((s) => s.registry === registry && s.repository !== repository)?.repository;
  }

  private file(digest: string): string {
    return join(this.dir, digestHex(parseDigest(digest)));
  }
}

function isSource(v: unknown): v is BlobSource {
  const s = v as BlobSource;
  return typeof s?.registry === 'string' && typeof s?.repository === 'string';
}

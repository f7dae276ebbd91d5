/** Build contexts for tests: directories written from a file map, tarred with the system tar. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type FileMap = Record<string, string | { content: string; mode: number }>;

export class ContextDirs {
  private readonly dirs: string[] = [];

  /** A fresh directory holding `files` (paths relative to it). */
  make(files: FileMap): string {
    const dir = mkdtempSync('/var/tmp/berth-test-build-');
    this.dirs.push(dir);
    write(dir, files);
    return dir;
  }

  /** `dir` as a tar archive in memory (gzip with `gzip`). */
  tar(dir: string, gzip = false): Buffer {
    const r = spawnSync('tar', [gzip ? '-czf' : '-cf', '-', '-C', dir, '.'], { maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

export function write(dir: string, files: FileMap): void {
  for (const [name, v] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof v === 'string') writeFileSync(path, v);
    else {
      writeFileSync(path, v.content);
      chmodSync(path, v.mode);
    }
  }
}

/** The lines of a JSON progress stream. */
export function ndjson(body: string): Array<{ stream?: string; aux?: { ID: string }; error?: string; errorDetail?: { message: string } }> {
  return body.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

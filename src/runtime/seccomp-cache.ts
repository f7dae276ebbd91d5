import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { OciRuntimeSpec } from '../spec/oci-runtime.js';
import type { OciBinary } from './oci.js';

/** crun's annotation for a ready-made filter: base64 of the raw BPF program. */
export const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/**
 * Compiled seccomp filters, so a profile is compiled once per runtime binary
 * rather than at every container start. Compiling Docker's profile for x86_64
 * with its i386 and x32 sub-architectures costs crun 1.8 ~25 ms, as long as the
 * rest of its create; Debian's crun is built without the cache crun can keep
 * itself. After a create that compiled a filter, crun's own output
 * (`<root>/<id>/seccomp.bpf`) is kept under a key covering the seccomp section,
 * the runtime binary and the kernel; later creates hand it to crun through
 * BPF_ANNOTATION, which makes crun load it instead of compiling.
 *
 * Only crun reads that annotation; other runtimes compile as usual. Entries
 * live in the exec root (a tmpfs), so a reboot starts afresh; a replaced
 * runtime binary changes the key.
 */
export class SeccompFilterCache {
  private readonly memory = new Map<string, string>();

  constructor(private readonly dir: string) {}

  /** The key for this spec on this runtime; undefined when there is nothing to cache. */
  async keyFor(rt: OciBinary, spec: OciRuntimeSpec): Promise<string | undefined> {
    if (!spec.linux.seccomp || !isCrun(rt) || spec.annotations?.[BPF_ANNOTATION]) return undefined;
    const bin = await stat(rt.path).catch(() => null);
    if (!bin) return undefined;
    return createHash('sha256')
      .update(JSON.stringify([rt.path, bin.size, bin.mtimeMs, release(), spec.linux.seccomp]))
      .digest('hex');
  }

  /** The spec with the cached filter attached, or the spec unchanged when none is cached. */
  async attach(key: string, spec: OciRuntimeSpec): Promise<{ spec: OciRuntimeSpec; hit: boolean }> {
    let b64 = this.memory.get(key);
    if (b64 === undefined) {
      b64 = await readFile(join(this.dir, key), 'utf8').catch(() => undefined);
      if (b64) this.memory.set(key, b64);
    }
    if (!b64) return { spec, hit: false };
    return { spec: { ...spec, annotations: { ...spec.annotations, [BPF_ANNOTATION]: b64 } }, hit: true };
  }

  /** Keeps the filter crun compiled for container `id`; best effort (a miss only costs time). */
  async remember(key: string, rt: OciBinary, id: string): Promise<void> {
    try {
      const bpf = await readFile(join(rt.root, id, 'seccomp.bpf'));
      if (bpf.length === 0 || bpf.length % 8 !== 0) return; // not a whole sock_filter program
      const b64 = bpf.toString('base64');
      await mkdir(this.dir, { recursive: true });
      const tmp = join(this.dir, `.${key}-${randomBytes(4).toString('hex')}`);
      await writeFile(tmp, b64);
      await rename(tmp, join(this.dir, key));
      this.memory.set(key, b64);
    } catch {
      // the next create compiles again
    }
  }
}

function isCrun(rt: OciBinary): boolean {
  return rt.name === 'crun' || /(^|\/)crun$/.test(rt.path);
}

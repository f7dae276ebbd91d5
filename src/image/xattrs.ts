/**
 * Extended attributes for extracted layers. Node has no xattr API, so values are
 * written with `setfattr` (Debian package `attr`): one `setfattr --restore` run
 * per layer applies every pending attribute, without following symlinks.
 * Attributes are applied after ownership is set, because chown(2) clears
 * `security.capability`.
 */
import { execFileText } from '../util/exec.js';

let available: Promise<boolean> | undefined;

/** True when `setfattr` can be run; checked once per process. */
export function setfattrAvailable(): Promise<boolean> {
  available ??= execFileText('setfattr', ['--version'], { allowFailure: true, timeoutMs: 10_000 }).then(
    () => true,
    () => false,
  );
  return available;
}

/** Attributes to set, keyed by absolute path. */
export class XattrBatch {
  private readonly pending = new Map<string, Map<string, Buffer>>();

  get size(): number {
    return this.pending.size;
  }

  set(path: string, name: string, value: Buffer): void {
    let attrs = this.pending.get(path);
    if (!attrs) this.pending.set(path, (attrs = new Map()));
    attrs.set(name, value);
  }

  /** True when attribute `name` is queued for some path. */
  has(name: string): boolean {
    for (const attrs of this.pending.values()) if (attrs.has(name)) return true;
    return false;
  }

  /** Drops what was queued for `path` and everything below it: the entry was replaced. */
  forget(path: string): void {
    const below = path.endsWith('/') ? path : `${path}/`;
    for (const key of this.pending.keys()) {
      if (key === path || key.startsWith(below)) this.pending.delete(key);
    }
  }

  /** Applies everything queued; throws naming setfattr's complaint on failure. */
  async apply(): Promise<void> {
    if (this.pending.size === 0) return;
    let script = '';
    for (const [path, attrs] of this.pending) {
      script += `# file: ${escapePath(path)}\n`;
      for (const [name, value] of attrs) script += `${escapeName(name)}=0x${value.toString('hex')}\n`;
      script += '\n';
    }
    await execFileText('setfattr', ['-h', '--restore=-'], { input: script, timeoutMs: 120_000 });
    this.pending.clear();
  }
}

/** setfattr's restore format reads `\ooo` octal escapes; escape every byte that is not plain visible ASCII. */
function escapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

function escapeName(name: string): string {
  // Names come from the archive: keep the restore format's line structure intact.
  if (/[\s=\\]/.test(name) || name === '') throw new Error(`unsupported xattr name ${JSON.stringify(name)}`);
  return name;
}

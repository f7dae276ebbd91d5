/**
 * Docker's detach keys, shared by the CLI (which watches the local terminal)
 * and the daemon (which watches an attached client's input on a terminal, for
 * clients that leave it to the server).
 */
import { invalidArgument } from './errors.js';

/** Docker's default detach sequence: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * Parses docker's `--detach-keys` ("ctrl-p,ctrl-q", "ctrl-a,x"): each item is a
 * single character or `ctrl-<key>` for a-z, @, [, \, ], ^ and _.
 */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const item of spec.split(',')) {
    if (item.length === 1) {
      bytes.push(item.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(item);
    const key = m?.[1].toLowerCase();
    if (!key) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    if (key >= 'a' && key <= 'z') bytes.push(key.charCodeAt(0) - 0x60);
    else if ('@[\\]^_'.includes(key)) bytes.push(key.charCodeAt(0) - 0x40);
    else throw invalidArgument(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(bytes);
}

/**
 * Watches a stdin byte stream for the detach sequence. Bytes that may start the
 * sequence are held until it is complete (detach) or broken (they go on).
 */
export class DetachWatcher {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.keys.length > 0 && b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]);
      this.held = 0;
      if (this.keys.length > 0 && b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

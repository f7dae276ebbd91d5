/**
 * Tar headers written by hand (ustar, with a PAX record before an entry whose
 * name, link target or size does not fit), for the writers that emit many
 * small entries and cannot afford a stream per entry: the CLI's build
 * context and the layer tar of a build step.
 */
export interface TarHeaderFields {
  name: string;
  /** '0' file, '2' symlink, '3' char device, '4' block device, '5' directory, '6' fifo. */
  type: '0' | '2' | '3' | '4' | '5' | '6';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const MAX_OCTAL_SIZE = 0o77777777777;

/** The header block(s) for one entry. */
export function tarHeader(f: TarHeaderFields): Buffer {
  const linkname = f.linkname ?? '';
  const pax: string[] = [];
  if (Buffer.byteLength(f.name) > 100) pax.push(paxRecord('path', f.name));
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
  if (f.size > MAX_OCTAL_SIZE) pax.push(paxRecord('size', String(f.size)));
  if (f.uid > 0o7777777) pax.push(paxRecord('uid', String(f.uid)));
  if (f.gid > 0o7777777) pax.push(paxRecord('gid', String(f.gid)));
  const h = block(f.name, f.type, f.mode & 0o7777, f.uid > 0o7777777 ? 0 : f.uid, f.gid > 0o7777777 ? 0 : f.gid, f.size > MAX_OCTAL_SIZE ? 0 : f.size, Math.max(0, Math.floor(f.mtime)), linkname);
  if (f.devmajor !== undefined) octal(h, f.devmajor, 329, 8);
  if (f.devminor !== undefined) octal(h, f.devminor, 337, 8);
  checksum(h);
  if (pax.length === 0) return h;
  const body = Buffer.from(pax.join(''));
  const ph = block('PaxHeader', 'x', 0o644, 0, 0, body.length, 0, '');
  checksum(ph);
  return Buffer.concat([ph, body, Buffer.alloc(tarPadding(body.length)), h]);
}

/** Zero bytes that follow `size` bytes of data to the next 512-byte boundary. */
export function tarPadding(size: number): number {
  return (512 - (size % 512)) % 512;
}

/** The archive's end: two zero blocks. */
export const TAR_END = Buffer.alloc(1024);

function block(name: string, type: string, mode: number, uid: number, gid: number, size: number, mtime: number, linkname: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(truncate(name, 100), 0, 100, 'utf8');
  octal(h, mode, 100, 8);
  octal(h, uid, 108, 8);
  octal(h, gid, 116, 8);
  octal(h, size, 124, 12);
  octal(h, mtime, 136, 12);
  h.write(type, 156, 1, 'latin1');
  h.write(truncate(linkname, 100), 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 8, 'latin1');
  return h;
}

function truncate(s: string, bytes: number): string {
  const b = Buffer.from(s);
  return b.length <= bytes ? s : b.subarray(0, bytes).toString('utf8');
}

function paxRecord(key: string, value: string): string {
  const text = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(text);
  let len = n + 1;
  while (String(len).length + n !== len) len = String(len).length + n;
  return `${len}${text}`;
}

function octal(b: Buffer, value: number, offset: number, width: number): void {
  b.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'latin1');
}

function checksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
}

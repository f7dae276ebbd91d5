/** IPv6 address and subnet arithmetic on 128-bit bigints. */

export interface Subnet6 {
  /** Network address. */
  base: bigint;
  prefix: number;
}

const ALL = (1n << 128n) - 1n;

/** Full and `::`-compressed forms, with an IPv4 tail ("::ffff:1.2.3.4"); no zone. */
export function parseIp6(text: string): bigint | undefined {
  let t = text.trim();
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const parts = v4[2].split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    t = `${v4[1]}${((parts[0] << 8) | parts[1]).toString(16)}:${((parts[2] << 8) | parts[3]).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
export function formatIp6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function maskOf(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL;
}

/** "fd00::1/64" → the subnet fd00::/64 and the address itself. */
export function parseCidr6(text: string): { subnet: Subnet6; ip: bigint } | undefined {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIp6(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 128) return undefined;
  return { subnet: { base: ip & maskOf(prefix), prefix }, ip };
}

export function formatSubnet6(s: Subnet6): string {
  return `${formatIp6(s.base)}/${s.prefix}`;
}

export function contains6(s: Subnet6, ip: bigint): boolean {
  return (ip & maskOf(s.prefix)) === s.base;
}

export function overlaps6(a: Subnet6, b: Subnet6): boolean {
  const m = maskOf(Math.min(a.prefix, b.prefix));
  return (a.base & m) === (b.base & m);
}

/** Addresses a container may take: in the subnet, not the subnet-router anycast (the network address). */
export function isHostAddress6(s: Subnet6, ip: bigint): boolean {
  return contains6(s, ip) && (s.prefix >= 127 || ip !== s.base);
}

export function size6(s: Subnet6): bigint {
  return 1n << BigInt(128 - s.prefix);
}

import { invalidArgument } from '../util/errors.js';
import { readFileInRoot } from './rootfs-files.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function parsePasswd(text: string | undefined): PasswdEntry[] {
  if (!text) return [];
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) return [];
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) return [];
    return [{ name: f[0], uid, gid, home: f[5] }];
  });
}

function parseGroup(text: string | undefined): GroupEntry[] {
  if (!text) return [];
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) return [];
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) return [];
    return [{ name: f[0], gid, members: f[3].split(',').filter(Boolean) }];
  });
}

const isNumeric = (s: string) => /^\d+$/.test(s);

/**
 * Resolves docker's `--user` syntax (`name`, `uid`, `name:group`, `uid:gid`, and
 * an empty string for root) against the container's /etc/passwd and /etc/group,
 * as Docker does at start. A numeric uid need not exist in passwd; a name must.
 */
export async function resolveUser(rootfs: string, spec: string, extraGroups: string[] = []): Promise<ResolvedUser> {
  const [userPart, groupPart] = spec === '' ? ['0', undefined] : splitOnce(spec);
  const passwd = parsePasswd(await readFileInRoot(rootfs, '/etc/passwd'));
  const groups = parseGroup(await readFileInRoot(rootfs, '/etc/group'));

  let entry = passwd.find((p) => (isNumeric(userPart) ? p.uid === Number(userPart) : p.name === userPart));
  if (!entry) {
    if (!isNumeric(userPart)) throw invalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
    entry = { name: userPart, uid: Number(userPart), gid: 0, home: '/' };
  }
  let gid = entry.gid;
  if (groupPart !== undefined && groupPart !== '') gid = findGroup(groups, groupPart);
  const additional = new Set<number>();
  for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) additional.add(g.gid);
  for (const g of extraGroups) additional.add(findGroup(groups, g));
  return { uid: entry.uid, gid, additionalGids: [...additional], home: entry.home || '/' };
}

function findGroup(groups: GroupEntry[], spec: string): number {
  if (isNumeric(spec)) return Number(spec);
  const g = groups.find((x) => x.name === spec);
  if (!g) throw invalidArgument(`unable to find group ${spec}: no matching entries in group file`);
  return g.gid;
}

function splitOnce(spec: string): [string, string | undefined] {
  const i = spec.indexOf(':');
  return i < 0 ? [spec, undefined] : [spec.slice(0, i), spec.slice(i + 1)];
}

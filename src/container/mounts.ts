/**
 * A container's mounts: planned once at create (volumes made, bind sources
 * checked, `--volumes-from` and image VOLUMEs resolved) and recorded; at each
 * start turned into OCI mounts, with docker's copy-up of image content into
 * empty volumes. Volumes come from engine/ through ContainerVolumes.
 */
import { lstat, mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { HostConfig, MountPoint } from '../spec/docker-container.js';
import type { OciMount } from '../spec/oci-runtime.js';
import { hasCode, invalidArgument } from '../util/errors.js';
import { execFileText } from '../util/exec.js';
import { type ApiMount, type MountRequest, type MountType, parseApiMount, parseBind, parseTmpfs, parseVolumesFrom } from './mount-specs.js';
import { resolveInRoot } from './rootfs-files.js';

/** One mount of a container as recorded; the capitalised fields are inspect's Mounts entry. */
export interface MountRecord extends MountPoint {
  Type: MountType;
  /** Still to do at the next start: copy image content into the volume if it is empty. */
  copyData?: boolean;
  /** A volume made for this container alone; `rm -v` removes it. */
  anonymous?: boolean;
  tmpfsOptions?: string[];
  /** False for HostConfig.Tmpfs entries, which docker does not list. */
  listed: boolean;
}

/** What containers need of the volume service. */
export interface ContainerVolumes {
  /** Creates the volume if it does not exist; an omitted name makes an anonymous volume. */
  ensure(o: { name?: string; labels?: Record<string, string>; driverOpts?: Record<string, string> }): Promise<{ name: string; mountpoint: string }>;
  /** Makes the content reachable (mounts a volume with driver options) for `holder`. */
  acquire(name: string, holder: string): Promise<string>;
  release(name: string, holder: string): Promise<void>;
  isEmpty(name: string): Promise<boolean>;
  remove(name: string): Promise<void>;
}

export interface PlanInput {
  hostConfig: HostConfig;
  /** Config.Volumes: image VOLUMEs and `-v /path` from the docker CLI. */
  volumePaths: string[];
  /** The recorded mounts of another container (`--volumes-from`); throws NotFound. */
  mountsOf: (ref: string) => MountRecord[];
  volumes: ContainerVolumes | undefined;
}

/** Parses, validates, then makes what is missing; nothing is made when validation fails. */
export async function planMounts(input: PlanInput): Promise<MountRecord[]> {
  const hc = input.hostConfig;
  const requests: MountRequest[] = [
    ...(hc.Binds ?? []).map(parseBind),
    ...((hc.Mounts ?? []) as ApiMount[]).map(parseApiMount),
    ...Object.entries(hc.Tmpfs ?? {}).map(([dest, opts]) => parseTmpfs(dest, opts)),
  ];
  const taken = new Set<string>();
  for (const r of requests) {
    if (taken.has(r.destination)) throw invalidArgument(`Duplicate mount point: ${r.destination}`);
    taken.add(r.destination);
  }
  const inherited: MountRecord[] = [];
  for (const raw of (hc.VolumesFrom as string[] | null) ?? []) {
    const { container, mode } = parseVolumesFrom(raw);
    for (const m of input.mountsOf(container)) {
      if (!m.listed || m.Type === 'tmpfs' || taken.has(m.Destination)) continue;
      taken.add(m.Destination);
      const rw = mode === '' ? m.RW : mode === 'rw';
      inherited.push({ ...m, RW: rw, Mode: mode === '' ? m.Mode : mode, copyData: false, anonymous: false });
    }
  }
  for (const path of input.volumePaths) {
    const dest = posix.normalize(path).replace(/(.)\/$/, '$1');
    if (!dest.startsWith('/')) throw invalidArgument(`invalid volume specification: '${path}'`);
    if (taken.has(dest)) continue;
    taken.add(dest);
    requests.push({ ...parseBind(dest), mode: '' });
  }
  for (const r of requests) {
    if (r.type !== 'bind') continue;
    const exists = await stat(r.source).then(() => true, (err) => (hasCode(err, 'ENOENT') ? false : Promise.reject(err)));
    if (!exists && !r.createSource) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${r.source}`);
  }
  if (!input.volumes && requests.some((r) => r.type === 'volume')) throw invalidArgument('volumes are not available in this daemon');
  const out: MountRecord[] = [];
  for (const r of requests) out.push(await makeMount(r, input.volumes));
  return [...out, ...inherited];
}

async function makeMount(r: MountRequest, volumes: ContainerVolumes | undefined): Promise<MountRecord> {
  const base = { Destination: r.destination, Mode: r.mode, RW: !r.readOnly, Propagation: r.propagation, listed: r.listed };
  switch (r.type) {
    case 'bind':
      await mkdir(r.source, { recursive: true, mode: 0o755 });
      return { ...base, Type: 'bind', Source: r.source };
    case 'tmpfs':
      return { ...base, Type: 'tmpfs', Source: '', tmpfsOptions: r.tmpfsOptions };
    case 'volume': {
      const v = await (volumes as ContainerVolumes).ensure({
        name: r.source || undefined, labels: r.volumeLabels, driverOpts: r.volumeDriverOpts,
      });
      return { ...base, Type: 'volume', Name: v.name, Source: v.mountpoint, Driver: 'local', copyData: r.copyData, anonymous: r.source === '' };
    }
  }
}

/**
 * The OCI mounts for a start. Volumes are acquired for `holder`, and a volume
 * still marked for copy-up that is empty receives the image's content at its
 * destination (then the mark is cleared on the record).
 */
export async function prepareMounts(mounts: MountRecord[], o: { rootfs: string; holder: string; volumes?: ContainerVolumes }): Promise<OciMount[]> {
  const out: OciMount[] = [];
  for (const m of mounts) {
    if (m.Type === 'tmpfs') {
      out.push({ destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', ...(m.RW ? [] : ['ro']), ...(m.tmpfsOptions ?? [])] });
      continue;
    }
    let source = m.Source;
    if (m.Type === 'volume' && m.Name !== undefined && o.volumes) {
      source = await o.volumes.acquire(m.Name, o.holder);
      if (m.copyData) {
        if (await o.volumes.isEmpty(m.Name)) await copyUp(o.rootfs, m.Destination, source);
        m.copyData = false;
      }
    } else if (m.Type === 'bind') {
      await lstat(source).catch((err) => {
        if (hasCode(err, 'ENOENT')) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
        throw err;
      });
    }
    out.push({
      destination: m.Destination, type: 'bind', source,
      options: ['rbind', m.Propagation || 'rprivate', ...(m.RW ? [] : ['ro'])],
    });
  }
  return out;
}

/** Undoes the acquisitions of prepareMounts. */
export async function releaseMounts(mounts: MountRecord[], holder: string, volumes?: ContainerVolumes): Promise<void> {
  if (!volumes) return;
  for (const m of mounts) if (m.Type === 'volume' && m.Name) await volumes.release(m.Name, holder).catch(() => undefined);
}

/**
 * Copies the directory at `dest` in the image into the volume, keeping owners,
 * modes, times and symlinks as symlinks. The path is resolved with the root
 * as "/", and cp never dereferences links below it, so nothing outside the
 * container's root is read.
 */
async function copyUp(rootfs: string, dest: string, volumeDir: string): Promise<void> {
  const resolved = await resolveInRoot(rootfs, dest);
  if (resolved === undefined) return;
  const src = posix.join(rootfs, resolved);
  const st = await lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await execFileText('cp', ['-a', '--no-dereference', `${src}/.`, `${volumeDir}/`], { timeoutMs: 10 * 60_000 });
}

/** The names of a container's anonymous volumes, removed with it by `rm -v` and `--rm`. */
export function anonymousVolumes(mounts: MountRecord[] | undefined): string[] {
  return (mounts ?? []).filter((m) => m.Type === 'volume' && m.anonymous && m.Name).map((m) => m.Name as string);
}

/** inspect's Mounts list. */
export function mountPoints(mounts: MountRecord[] | undefined): Array<Omit<MountRecord, 'copyData' | 'anonymous' | 'tmpfsOptions' | 'listed'>> {
  return (mounts ?? []).filter((m) => m.listed).map((m) => ({
    Type: m.Type,
    ...(m.Name !== undefined ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Driver !== undefined ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

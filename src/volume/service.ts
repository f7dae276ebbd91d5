import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonAtomic } from '../util/atomic.js';
import { EngineError, conflict, hasCode, invalidArgument, notFound } from '../util/errors.js';
import { log } from '../util/log.js';
import { ANONYMOUS_LABEL, type CreateVolumeOptions, type VolumeRecord, type VolumeView } from './types.js';
import { isMounted, mountVolume, unmountVolume, validateDriverOpts } from './local-mount.js';
import { matchesVolumeFilters, validateVolumeFilters } from './filters.js';
import { directorySize } from './size.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface VolumeServiceOptions {
  dataRoot: string;
  /** Ids of the containers whose config mounts the volume (engine/ asks the container service). */
  users: (name: string) => string[];
}

/**
 * Named volumes of the local driver. Each lives in volumes/<name>/: `_data`
 * holds the content and is the mountpoint; `volume.json` is written last
 * and atomically, so a directory without it is a half-made volume that the
 * next start removes. A volume with driver options (type/device/o) is
 * mounted on `_data` when its first user starts and unmounted when its last
 * user stops.
 */
export class VolumeService {
  private readonly records = new Map<string, VolumeRecord>();
  /** Containers currently holding an option volume mounted, by volume name. */
  private readonly holders = new Map<string, Set<string>>();

  private constructor(private readonly o: VolumeServiceOptions) {}

  static async open(o: VolumeServiceOptions): Promise<VolumeService> {
    const svc = new VolumeService(o);
    await svc.load();
    return svc;
  }

  private get root(): string {
    return join(this.o.dataRoot, 'volumes');
  }

  dirOf(name: string): string {
    return join(this.root, name);
  }

  mountpointOf(name: string): string {
    return join(this.root, name, '_data');
  }

  private async load(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(this.root)) {
      const dir = join(this.root, name);
      if (name.startsWith('.rm-')) {
        await this.purge(dir);
        continue;
      }
      try {
        const rec = JSON.parse(await readFile(join(dir, 'volume.json'), 'utf8')) as VolumeRecord;
        this.records.set(rec.Name, rec);
      } catch (err) {
        if (!hasCode(err, 'ENOENT')) throw err;
        log.warn('removing half-created volume', { name });
        await this.purge(dir);
      }
    }
  }

  private async purge(dir: string): Promise<void> {
    const data = join(dir, '_data');
    // Never delete through a mount: an option volume may bind a host directory.
    if (await isMounted(data)) await unmountVolume(data);
    if (await isMounted(data)) throw conflict(`volume data at ${data} is still mounted`);
    await rm(dir, { recursive: true, force: true });
  }

  tryGet(name: string): VolumeRecord | undefined {
    return this.records.get(name);
  }

  get(name: string): VolumeRecord {
    const rec = this.records.get(name);
    if (!rec) throw notFound(`get ${name}: no such volume`);
    return rec;
  }

  /** POST /volumes/create: an existing volume of that name is returned as is. */
  async create(o: CreateVolumeOptions): Promise<VolumeRecord> {
    const driver = o.Driver || 'local';
    if (driver !== 'local') throw new EngineError('NotFound', `error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const name = o.Name || randomBytes(32).toString('hex');
    if (!NAME_RE.test(name)) {
      throw invalidArgument(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    const existing = this.records.get(name);
    if (existing) return existing;
    const options = { ...(o.DriverOpts ?? {}) };
    validateDriverOpts(name, options);
    const rec: VolumeRecord = {
      Name: name,
      Driver: 'local',
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      Labels: { ...(o.Labels ?? {}) },
      Options: options,
    };
    const dir = this.dirOf(name);
    await mkdir(join(dir, '_data'), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(join(dir, 'volume.json'), rec);
    this.records.set(name, rec);
    return rec;
  }

  /** A volume made for one container's `-v /path` or image VOLUME. */
  createAnonymous(): Promise<VolumeRecord> {
    return this.create({ Labels: { [ANONYMOUS_LABEL]: '' } });
  }

  view(rec: VolumeRecord, usage?: { Size: number; RefCount: number }): VolumeView {
    return {
      CreatedAt: rec.CreatedAt,
      Driver: rec.Driver,
      Labels: Object.keys(rec.Labels).length ? rec.Labels : null,
      Mountpoint: this.mountpointOf(rec.Name),
      Name: rec.Name,
      Options: Object.keys(rec.Options).length ? rec.Options : null,
      Scope: 'local',
      ...(usage ? { UsageData: usage } : {}),
    };
  }

  inspect(name: string): VolumeView {
    return this.view(this.get(name));
  }

  list(filters: Record<string, string[]> = {}): VolumeView[] {
    validateVolumeFilters(filters);
    return [...this.records.values()]
      .filter((r) => matchesVolumeFilters(r, filters, this.o.users(r.Name).length > 0))
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((r) => this.view(r));
  }

  /** With `force`, a volume in use is removed too (its users keep their open files). */
  async remove(name: string, o: { force?: boolean } = {}): Promise<void> {
    const rec = this.records.get(name);
    if (!rec) {
      if (o.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.o.users(name);
    if (users.length > 0 && !o.force) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    const data = this.mountpointOf(name);
    if (await isMounted(data)) await unmountVolume(data);
    if (await isMounted(data)) throw conflict(`remove ${name}: volume is still mounted at ${data}`);
    const moved = join(this.root, `.rm-${name}-${randomBytes(4).toString('hex')}`);
    await rename(this.dirOf(name), moved);
    this.records.delete(name);
    this.holders.delete(name);
    await this.purge(moved);
  }

  /** POST /volumes/prune; `anonymousOnly` is the API ≥ 1.42 default. */
  async prune(filters: Record<string, string[]>, o: { anonymousOnly: boolean }): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    for (const key of Object.keys(filters)) {
      if (!['label', 'label!', 'all'].includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
    }
    const rest = { ...filters };
    delete rest.all;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of [...this.records.values()]) {
      if (this.o.users(rec.Name).length > 0) continue;
      if (o.anonymousOnly && !(ANONYMOUS_LABEL in rec.Labels)) continue;
      if (!matchesVolumeFilters(rec, rest, false)) continue;
      const size = Object.keys(rec.Options).length ? 0 : await directorySize(this.mountpointOf(rec.Name));
      try {
        await this.remove(rec.Name);
        deleted.push(rec.Name);
        reclaimed += size;
      } catch (err) {
        log.warn('prune could not remove volume', { name: rec.Name, error: String(err) });
      }
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** Volumes with their size and user count, for GET /system/df. */
  async usage(): Promise<VolumeView[]> {
    const out: VolumeView[] = [];
    for (const rec of this.records.values()) {
      const size = Object.keys(rec.Options).length ? -1 : await directorySize(this.mountpointOf(rec.Name));
      out.push(this.view(rec, { Size: size, RefCount: this.o.users(rec.Name).length }));
    }
    return out;
  }

  /**
   * Makes the volume's content reachable at its mountpoint for `holder` (a
   * container about to start) and returns that path; an option volume is
   * mounted by its first holder.
   */
  async acquire(name: string, holder: string): Promise<string> {
    const rec = this.get(name);
    const data = this.mountpointOf(name);
    if (Object.keys(rec.Options).length === 0) return data;
    const set = this.holders.get(name) ?? new Set<string>();
    if (!(await isMounted(data))) await mountVolume(rec.Options, data);
    set.add(holder);
    this.holders.set(name, set);
    return data;
  }

  /** Undoes acquire; the last holder of an option volume unmounts it. */
  async release(name: string, holder: string): Promise<void> {
    const set = this.holders.get(name);
    if (!set || !set.delete(holder) || set.size > 0) return;
    this.holders.delete(name);
    await unmountVolume(this.mountpointOf(name)).catch((err) => log.warn('volume unmount failed', { name, error: String(err) }));
  }

  /** True when the volume's data directory holds nothing (copy-up fills only empty volumes). */
  async isEmpty(name: string): Promise<boolean> {
    try {
      return (await readdir(this.mountpointOf(name))).length === 0;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return true;
      throw err;
    }
  }
}

import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { execFileText } from '../util/exec.js';
import { join } from 'node:path';
import { writeJsonAtomic, isTempName } from '../util/atomic.js';
import { conflict, notFound, invalidArgument } from '../util/errors.js';
import { log } from '../util/log.js';
import type { ContainerRecord } from './record.js';

/**
 * The set of containers: an in-memory index over `containers/<id>/container.json`.
 * Lookups are synchronous so callers can register waiters before answering a
 * request. Removal renames the directory into `trash/` (atomic) and deletes it
 * in the background; whatever a crash leaves in trash/ is deleted at open.
 */
export class ContainerRepository {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();
  private readonly saving = new Map<string, Promise<void>>();

  private constructor(private readonly root: string) {}

  static async open(dataRoot: string): Promise<ContainerRepository> {
    const repo = new ContainerRepository(dataRoot);
    await mkdir(repo.containersDir, { recursive: true });
    await unmountUnder(repo.trashDir);
    await rm(repo.trashDir, { recursive: true, force: true });
    await mkdir(repo.trashDir, { recursive: true });
    for (const id of await readdir(repo.containersDir)) {
      if (isTempName(id)) {
        await rm(join(repo.containersDir, id), { recursive: true, force: true });
        continue;
      }
      try {
        const record = JSON.parse(await readFile(repo.recordPath(id), 'utf8')) as ContainerRecord;
        repo.byId.set(record.id, record);
        repo.byName.set(record.name, record.id);
      } catch (err) {
        // A directory without a complete record is a create that crashed midway.
        log.warn('removing container directory without a valid record', { id, error: String(err) });
        await rm(join(repo.containersDir, id), { recursive: true, force: true });
      }
    }
    return repo;
  }

  get containersDir(): string {
    return join(this.root, 'containers');
  }
  private get trashDir(): string {
    return join(this.root, 'trash');
  }
  dirOf(id: string): string {
    return join(this.containersDir, id);
  }
  private recordPath(id: string): string {
    return join(this.dirOf(id), 'container.json');
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  nameTaken(name: string): boolean {
    return this.byName.has(name);
  }

  /** Throws docker's Conflict when another container (not `id`) holds `name`. */
  checkNameFree(name: string, id?: string): void {
    const holder = this.byName.get(name);
    if (holder !== undefined && holder !== id) {
      throw conflict(
        `Conflict. The container name "/${name}" is already in use by container "${holder}". ` +
          'You have to remove (or rename) that container to be able to reuse that name.',
      );
    }
  }

  /**
   * Finds a container by full id, name (with or without "/"), or unique id
   * prefix, in Docker's order. Throws NotFound "No such container: ref".
   */
  find(ref: string): ContainerRecord {
    const found = this.tryFind(ref);
    if (!found) throw notFound(`No such container: ${ref}`);
    return found;
  }

  tryFind(ref: string): ContainerRecord | undefined {
    if (ref === '') return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.replace(/^\//, ''));
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return matches.length === 1 ? this.byId.get(matches[0]) : undefined;
  }

  /** Adds a new container; its name must be free (checked again here, atomically). */
  async add(record: ContainerRecord): Promise<void> {
    this.reserveName(record.name, record.id);
    this.byId.set(record.id, record);
    try {
      await mkdir(this.dirOf(record.id), { recursive: true });
      await this.save(record);
    } catch (err) {
      this.byId.delete(record.id);
      this.byName.delete(record.name);
      throw err;
    }
  }

  private reserveName(name: string, id: string): void {
    this.checkNameFree(name, id);
    this.byName.set(name, id);
  }

  /**
   * Persists the record. Saves of one record run one after another, each
   * writing the record as it is when its turn comes, so a slow earlier save
   * (a start's "running") can never land after a later one (the exit that
   * followed) and leave the older state on disk.
   */
  async save(record: ContainerRecord): Promise<void> {
    const before = this.saving.get(record.id) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => writeJsonAtomic(this.recordPath(record.id), record));
    this.saving.set(record.id, mine);
    try {
      await mine;
    } finally {
      if (this.saving.get(record.id) === mine) this.saving.delete(record.id);
    }
  }

  async rename(record: ContainerRecord, newName: string): Promise<void> {
    const old = record.name;
    this.reserveName(newName, record.id);
    record.name = newName;
    try {
      await this.save(record);
    } catch (err) {
      record.name = old;
      this.byName.delete(newName);
      throw err;
    }
    this.byName.delete(old);
  }

  /**
   * Forgets a container and moves its directory out of sight (one rename, so a
   * crash leaves it either listed or gone). Returns where the directory went;
   * the caller deletes it once nothing is mounted there.
   */
  async remove(record: ContainerRecord): Promise<string> {
    const trashed = join(this.trashDir, record.id);
    await rename(this.dirOf(record.id), trashed).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.byId.delete(record.id);
    if (this.byName.get(record.name) === record.id) this.byName.delete(record.name);
    return trashed;
  }

  /** Deletes a directory returned by remove(), in the background. */
  purge(trashed: string): void {
    void rm(trashed, { recursive: true, force: true }).catch((err) =>
      log.warn('could not delete removed container files', { path: trashed, error: String(err) }),
    );
  }
}

/** Unmounts whatever a crash left mounted below `dir`, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const targets = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined && m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const target of targets) await execFileText('umount', ['-l', target], { allowFailure: true });
}

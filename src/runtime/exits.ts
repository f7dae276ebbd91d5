import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode } from '../util/errors.js';
import { log } from '../util/log.js';

export type ExitListener = (id: string, exitCode: number) => void;

/**
 * Container ids berth accepts: they name files and directories, so no slashes, and
 * no dots either, because conmon writes exit files through a temporary
 * `<id>.XXXXXX` (glib's g_file_set_contents) that must not pass for an exit.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The exit code in an exit file, or null while it is absent or not yet a whole number. */
export async function readExitFile(path: string): Promise<number | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^-?\d+$/.test(text) ? Number.parseInt(text, 10) : null;
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return null;
    throw err;
  }
}

/**
 * Watches conmon's exit directory with inotify (fs.watch). conmon writes
 * `<dir>/<id>` by an atomic rename after it has drained the container's stdout and
 * stderr into the log, so by the time a listener hears of an exit the log is
 * complete. Each exit file is reported once; `rearm(id)` allows a new report for
 * the same id (the container is being created again). Exits that happened while no
 * watcher ran are not replayed: recovery reads them with `readExitFile`.
 */
export class ExitWatcher {
  private readonly listeners = new Set<ExitListener>();
  private readonly reported = new Set<string>();
  private readonly reading = new Map<string, boolean>(); // id → another event came while reading
  private watcher: FSWatcher | undefined;

  constructor(private readonly dir: string) {}

  start(): void {
    this.watcher = watch(this.dir, (_event, name) => {
      if (name) this.check(name.toString());
      else void this.rescan();
    });
    this.watcher.on('error', (err) => log.warn('exit directory watch failed', { dir: this.dir, error: err.message }));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
  }

  on(listener: ExitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  rearm(id: string): void {
    this.reported.delete(id);
  }

  /** Resolves with the exit code once `<dir>/<id>` exists, or null after `timeoutMs`. */
  async waitFor(id: string, timeoutMs: number): Promise<number | null> {
    let off: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<number | null>((resolve) => {
      off = this.on((exited, code) => {
        if (exited === id) resolve(code);
      });
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      const now = await readExitFile(join(this.dir, id));
      return now !== null ? now : await heard;
    } finally {
      off();
      clearTimeout(timer);
    }
  }

  private check(name: string): void {
    if (!ID_PATTERN.test(name) || this.reported.has(name)) return;
    if (this.reading.has(name)) {
      this.reading.set(name, true);
      return;
    }
    this.reading.set(name, false);
    void this.read(name);
  }

  private async read(id: string): Promise<void> {
    let code: number | null = null;
    try {
      code = await readExitFile(join(this.dir, id));
    } catch (err) {
      log.warn('cannot read exit file', { id, error: (err as Error).message });
    }
    const again = this.reading.get(id) === true;
    this.reading.delete(id);
    if (code === null) {
      if (again) this.check(id);
      return;
    }
    if (this.reported.has(id)) return;
    this.reported.add(id);
    for (const l of [...this.listeners]) {
      try {
        l(id, code);
      } catch (err) {
        log.error('exit listener failed', { id, error: (err as Error).message });
      }
    }
  }

  /** inotify gave no name (it does that on overflow): look at every file. */
  private async rescan(): Promise<void> {
    try {
      for (const name of await readdir(this.dir)) this.check(name);
    } catch (err) {
      log.warn('cannot list exit directory', { dir: this.dir, error: (err as Error).message });
    }
  }
}

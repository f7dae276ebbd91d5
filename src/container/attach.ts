import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict } from '../util/errors.js';
import { conmonBundleFiles, type AttachSocket } from '../runtime/index.js';
import type { ContainerRecord } from './record.js';
import { DetachWatcher } from '../util/detach-keys.js';

export interface ContainerIoOptions {
  execRoot: string;
  find: (ref: string) => ContainerRecord;
  connect: (path: string) => Promise<AttachSocket>;
  resize: (ctlPath: string, rows: number, cols: number) => Promise<void>;
  /** Host pids in a cgroup path such as "/berth/<id>". */
  pids: (cgroupsPath: string) => Promise<number[]>;
  /** The host's ps with `psArgs`, rows kept for `pids`. */
  ps: (psArgs: string, pids: number[]) => Promise<{ Titles: string[]; Processes: string[][] }>;
}

const POLL_MS = 20;

/**
 * The live side of a running container: stdin over conmon's attach socket, the
 * terminal size over its ctl fifo, and its processes (top). (Output is read from
 * the container's log, which conmon writes before anyone can attach.)
 */
export class ContainerIo {
  constructor(private readonly o: ContainerIoOptions) {}

  private files(id: string): { attach: string; ctl: string } {
    return conmonBundleFiles(join(this.o.execRoot, 'bundles', id));
  }

  /**
   * Forwards `input` to the container's stdin until the input ends (which closes
   * the container's stdin when it was created with StdinOnce), `stop` settles, or
   * the container's monitor goes away. A container attached before its start has
   * no socket yet: the input waits (unread) until conmon has made it. With
   * `detachKeys` (a terminal's), the input is watched for that sequence, which
   * is not passed on and ends forwarding with "detached" (docker's daemon-side
   * detach). Resolves when forwarding has ended.
   */
  async forwardStdin(ref: string, input: NodeJS.ReadableStream, stop: Promise<unknown>, o: { detachKeys?: Buffer } = {}): Promise<'detached' | 'ended'> {
    const rec = this.o.find(ref);
    if (!rec.config.OpenStdin) return 'ended';
    const watcher = o.detachKeys?.length ? new DetachWatcher(o.detachKeys) : undefined;
    let detached = false;
    let stopped = false;
    void stop.then(() => (stopped = true));
    const path = this.files(rec.id).attach;
    while (!(await access(path).then(() => true, () => false))) {
      if (stopped) return 'ended';
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const sock = await this.o.connect(path);
    // Output arrives through the log; this connection only carries stdin.
    sock.onData(() => undefined);
    await new Promise<void>((resolve) => {
      const finish = () => {
        input.off('data', onData);
        input.off('end', onEnd);
        resolve();
      };
      const onData = (chunk: Buffer | string) => {
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (!watcher) return void sock.write(data);
        const seen = watcher.feed(data);
        if (seen.forward.length) sock.write(seen.forward);
        if (seen.detach) {
          detached = true;
          finish();
        }
      };
      const onEnd = () => {
        sock.endInput();
        finish();
      };
      input.on('data', onData);
      input.once('end', onEnd);
      input.on('error', () => undefined);
      input.resume();
      sock.onClose(finish);
      void stop.then(finish);
    });
    if (detached) sock.close();
    else void stop.then(() => sock.close());
    return detached ? 'detached' : 'ended';
  }

  /** GET /containers/{id}/top: the host's ps, restricted to the container's cgroup. */
  async top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.o.find(ref);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not running`);
    return this.o.ps(psArgs, await this.o.pids(`/berth/${rec.id}`));
  }

  /** Sets the container's terminal size (POST /containers/{id}/resize). */
  async resize(ref: string, rows: number, cols: number): Promise<void> {
    const rec = this.o.find(ref);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not running`);
    await this.o.resize(this.files(rec.id).ctl, rows, cols);
  }
}

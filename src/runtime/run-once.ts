/**
 * A container run in the foreground with `<runtime> run`, without conmon: for
 * short-lived processes whose output the caller consumes at once and that
 * never outlive the daemon (build steps). Saves conmon's ~15 ms per process
 * and the exit-file round trip. The process's stdout and stderr are the
 * runtime's own (piped to the caller); the runtime's own errors go to a JSON
 * log file, so they never mix with the process's output.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciRuntimeSpec } from '../spec/oci-runtime.js';
import { EngineError } from '../util/errors.js';
import { readRuntimeLog, type OciBinary } from './oci.js';

export interface RunOnceOptions {
  id: string;
  /** A private directory: config.json and the runtime's log are written here. */
  bundleDir: string;
  spec: OciRuntimeSpec;
  /** Each chunk of the process's stdout and stderr, in arrival order. */
  output(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  /** Aborting kills the process (SIGKILL) and the run rejects. */
  signal?: AbortSignal;
}

/** Resolves with the process's exit code (128+n for a signal); rejects when the runtime could not start it. */
export async function runOnce(rt: OciBinary, o: RunOnceOptions): Promise<number> {
  await mkdir(o.bundleDir, { recursive: true });
  const logFile = join(o.bundleDir, 'runtime.log');
  await Promise.all([writeFile(join(o.bundleDir, 'config.json'), JSON.stringify(o.spec)), rm(logFile, { force: true })]);
  const child = spawn(rt.path, [`--root=${rt.root}`, '--log-format=json', `--log=${logFile}`, 'run', '--bundle', o.bundleDir, o.id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (b: Buffer) => o.output(b, 'stdout'));
  child.stderr.on('data', (b: Buffer) => o.output(b, 'stderr'));
  const kill = () => {
    // The runtime forwards the signal to the container's init; a kill of the runtime alone could leave it.
    spawn(rt.path, [`--root=${rt.root}`, 'kill', o.id, 'KILL'], { stdio: 'ignore' }).on('error', () => undefined);
    child.kill('SIGKILL');
  };
  o.signal?.addEventListener('abort', kill, { once: true });
  let clean = false;
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, sig) => resolve(c ?? 128 + (sig === 'SIGKILL' ? 9 : 15)));
    });
    if (o.signal?.aborted) throw new EngineError('Internal', 'the build step was cancelled');
    const problem = await readRuntimeLog(logFile);
    if (problem) throw new EngineError('Internal', `OCI runtime run failed: ${rt.name}: ${problem}`);
    clean = true;
    return code;
  } finally {
    o.signal?.removeEventListener('abort', kill);
    // `run` deletes the container when its process exits; only a run that was
    // killed or failed may leave the runtime's record behind.
    if (!clean) await new Promise<void>((resolve) => {
      spawn(rt.path, [`--root=${rt.root}`, 'delete', '--force', o.id], { stdio: 'ignore' }).on('close', () => resolve()).on('error', () => resolve());
    });
  }
}

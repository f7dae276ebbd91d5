import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The daemon's run directory: BERTH_EXEC_ROOT, as berthd reads it, else
 * /run/berth. The default socket lives there.
 */
const EXEC_ROOT = process.env.BERTH_EXEC_ROOT || '/run/berth';
export const DEFAULT_SOCKET = `${EXEC_ROOT}/berth.sock`;
const DAEMON_LOG = process.env.BERTH_EXEC_ROOT ? `${EXEC_ROOT}/berthd.log` : '/var/log/berthd.log';
const START_TIMEOUT_MS = 20_000;

/**
 * V8 flags berthd runs with (its shebang carries the same): lite mode skips the
 * optimizing compiler, which a daemon that mostly waits on I/O does not miss,
 * and keeps its idle memory ~15 MB lower.
 */
export const DAEMON_NODE_FLAGS = ['--lite-mode'];

/** The berthd script that sits beside this CLI (dist/berthd.js), else berthd on PATH. */
function daemonCommand(): { file: string; args: string[] } {
  try {
    const self = realpathSync(process.argv[1] ?? '');
    const sibling = join(dirname(self), 'berthd.js');
    if (existsSync(sibling)) return { file: process.execPath, args: [...DAEMON_NODE_FLAGS, sibling] };
  } catch {
    // fall through to PATH
  }
  return { file: 'berthd', args: [] };
}

/**
 * Starts berthd in the background (detached, its output in /var/log/berthd.log)
 * and waits until `isUp` reports that it answers. Only used for the default
 * socket: an explicit -H or DOCKER_HOST means the user runs their own daemon.
 */
export async function startDaemon(isUp: () => Promise<boolean>, err: NodeJS.WritableStream): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(`no berth daemon answers at unix://${DEFAULT_SOCKET}, and only root can start one: run \`sudo berthd\` or \`sudo berth ...\``);
  }
  mkdirSync(dirname(DAEMON_LOG), { recursive: true });
  const logFd = openSync(DAEMON_LOG, 'a');
  const { file, args } = daemonCommand();
  // Through bash (dash cannot name descriptors above 9), to close descriptors we
  // inherited without close-on-exec: a daemon holding a caller's pipe would keep
  // that caller (a CI runner) waiting for the pipe to close.
  const closeInherited =
    'for fd in /proc/$$/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ] && [ -e "/proc/$$/fd/$fd" ]; then eval "exec $fd>&-"; fi; done; exec "$@"';
  const child = spawn('/bin/bash', ['-c', closeInherited, 'bash', file, ...args], { detached: true, stdio: ['ignore', logFd, logFd] });
  let exitCode: number | null = null;
  child.on('exit', (code) => {
    exitCode = code ?? 1;
  });
  child.on('error', () => {
    exitCode = 127;
  });
  child.unref();
  let deadline = Date.now() + START_TIMEOUT_MS;
  let delay = 5;
  let sawExit = false;
  while (Date.now() < deadline) {
    if (await isUp()) return;
    if (exitCode !== null && !sawExit) {
      // Ours failed; another berth may have started one at the same moment.
      sawExit = true;
      deadline = Math.min(deadline, Date.now() + 3000);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
  void err;
  throw new Error(`berthd did not start (see ${DAEMON_LOG})`);
}

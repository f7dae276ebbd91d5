import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { EngineError } from '../util/errors.js';

/**
 * A client connection to conmon's attach socket (SOCK_SEQPACKET, which node's
 * `net` cannot open: the native `node-unix-socket` package does). Each message
 * from conmon is one stream byte (2 stdout, 3 stderr) followed by the data;
 * what we write is the process's stdin, raw. `endInput()` half-closes, which
 * conmon reads as the end of stdin (unless it runs with --leave-stdin-open).
 */
export interface AttachSocket {
  /**
   * Called for every message; `stream` is 1 for stdout and 2 for stderr (Docker's
   * numbering). Messages that arrive before the first listener are kept for it.
   */
  onData(listener: (stream: 1 | 2, data: Buffer) => void): void;
  /** Called once when conmon closes the connection (the process ended or conmon went away). */
  onClose(listener: () => void): void;
  write(data: Buffer): void;
  endInput(): void;
  close(): void;
}

interface SeqpacketSocketLike {
  on(event: string, listener: (...args: never[]) => void): void;
  connect(path: string, cb?: () => void): void;
  write(buf: Buffer): void;
  end(): void;
  destroy(): void;
}

type SeqpacketCtor = new () => SeqpacketSocketLike;
let ctor: SeqpacketCtor | undefined;

/** Loaded on first use: a native addon, kept out of the daemon bundle (scripts/bundle.mjs). */
function seqpacketSocket(): SeqpacketCtor {
  if (!ctor) {
    const require = createRequire(import.meta.url);
    ctor = (require('node-unix-socket') as { SeqpacketSocket: SeqpacketCtor }).SeqpacketSocket;
  }
  return ctor;
}

/** sun_path holds 108 bytes; longer paths are reached through an open descriptor of their directory. */
const MAX_SOCKET_PATH = 107;

export function connectAttachSocket(path: string): Promise<AttachSocket> {
  let dirFd: number | undefined;
  let target = path;
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    dirFd = openSync(dirname(path), fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    target = `/proc/self/fd/${dirFd}/${basename(path)}`;
  }
  const releaseDir = () => {
    if (dirFd !== undefined) closeSync(dirFd);
    dirFd = undefined;
  };
  const sock = new (seqpacketSocket())();
  let closed = false;
  const dataListeners: Array<(stream: 1 | 2, data: Buffer) => void> = [];
  let early: Array<[1 | 2, Buffer]> = [];
  const closeListeners: Array<() => void> = [];
  const markClosed = () => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l();
  };
  const conn: AttachSocket = {
    onData: (l) => {
      dataListeners.push(l);
      for (const [stream, data] of early) l(stream, data);
      early = [];
    },
    onClose: (l) => {
      if (closed) queueMicrotask(l);
      else closeListeners.push(l);
    },
    write: (data) => {
      if (closed || data.length === 0) return;
      try {
        sock.write(data);
      } catch {
        markClosed();
      }
    },
    endInput: () => {
      if (closed) return;
      try {
        sock.end();
      } catch {
        markClosed();
      }
    },
    close: () => {
      if (!closed) {
        try {
          sock.destroy();
        } catch {
          // already gone
        }
      }
      markClosed();
    },
  };
  return new Promise((resolve, reject) => {
    let connected = false;
    sock.on('data', ((buf: Buffer) => {
      if (buf.length < 1) return;
      const stream = buf[0] === 3 ? 2 : 1;
      const data = Buffer.from(buf.subarray(1));
      if (dataListeners.length === 0) early.push([stream, data]);
      for (const l of dataListeners) l(stream, data);
    }) as never);
    sock.on('error', ((err: Error) => {
      if (!connected) {
        releaseDir();
        reject(new EngineError('Internal', `cannot connect to the attach socket ${path}: ${err.message}`));
      }
      markClosed();
    }) as never);
    sock.on('close', (() => markClosed()) as never);
    sock.on('end', (() => markClosed()) as never);
    try {
      sock.connect(target, () => {
        connected = true;
        releaseDir();
        resolve(conn);
      });
    } catch (err) {
      releaseDir();
      reject(new EngineError('Internal', `cannot connect to the attach socket ${path}: ${(err as Error).message}`));
    }
  });
}

/**
 * Resizes a terminal that conmon holds: `1 <rows> <cols>\n` on its `ctl` fifo.
 * Quiet when nobody reads the fifo any more (the process is gone).
 */
export async function resizeTerminal(ctlPath: string, rows: number, cols: number): Promise<void> {
  let fh;
  try {
    fh = await open(ctlPath, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.write(`1 ${rows} ${cols}\n`);
  } finally {
    await fh.close();
  }
}

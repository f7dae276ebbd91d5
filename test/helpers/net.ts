/** Loopback-only network helpers for tests: free ports and reading a greeting. */
import { createConnection, createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Connects to 127.0.0.1:port once and returns what the server sends before closing ('' on refusal). */
export function readOnce(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let data = '';
    sock.setTimeout(2000, () => sock.destroy());
    sock.on('data', (b: Buffer) => (data += b.toString()));
    sock.on('error', () => resolve(data));
    sock.on('close', () => resolve(data));
  });
}

/** Retries readOnce until the greeting arrives or the deadline passes. */
export async function readWhenUp(port: number, want: string, deadlineMs = 15_000): Promise<string> {
  const until = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < until) {
    last = await readOnce(port);
    if (last.includes(want)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

/** What a server at host:port (any address family) sends, retrying until `want` arrives or 100 tries pass. */
export async function readFrom(host: string, port: number, want: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 100 && !last.includes(want); i++) {
    last = await new Promise<string>((resolve) => {
      const s = createConnection({ host, port });
      let data = '';
      s.setTimeout(2000, () => s.destroy());
      s.on('data', (b: Buffer) => (data += b.toString()));
      s.on('error', () => resolve(data));
      s.on('close', () => resolve(data));
    });
    if (!last.includes(want)) await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

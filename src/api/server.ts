import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { chmod, rm } from 'node:fs/promises';
import { messageOf } from '../util/errors.js';
import { log } from '../util/log.js';
import { Context } from './context.js';
import type { Router } from './router.js';
import { statusOf } from './status.js';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION, compareApiVersions, splitVersion } from './version.js';

const BASE_HEADERS = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: `Docker/${ENGINE_VERSION} (linux)`,
};

/**
 * The HTTP side of berthd: version negotiation, routing, and turning thrown
 * engine errors into `{"message": ...}` answers with Docker's status codes.
 */
export class ApiServer {
  private readonly server: Server;

  constructor(private readonly router: Router) {
    this.server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => void this.dispatch(req, res, undefined));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Bytes after the headers (an exec start's JSON body, early stdin) belong to the stream.
      if (head.length > 0) socket.unshift(head);
      void this.dispatch(req, undefined, socket);
    });
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
  }

  /** Listens on a unix socket path (an old socket file is replaced). */
  async listenUnix(path: string): Promise<void> {
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await chmod(path, 0o660);
  }

  async listenTcp(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { version, rest } = splitVersion(url.pathname);
    const headers = { ...BASE_HEADERS };
    const fail = (status: number, message: string) => sendError(res, socket, status, message, headers);
    if (compareApiVersions(version, MIN_API_VERSION) < 0) {
      return fail(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
    }
    if (compareApiVersions(version, API_VERSION) > 0) {
      return fail(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
    }
    const match = this.router.match(req.method ?? 'GET', rest);
    if (match === 'no-route') return fail(404, `page not found`);
    if (match === 'bad-method') return fail(405, `method not allowed`);
    const ctx = new Context(req, res, socket, version, match.params, headers);
    const started = performance.now();
    try {
      await match.handler(ctx);
      log.debug('request', { method: req.method, path: url.pathname, ms: Math.round((performance.now() - started) * 10) / 10 });
    } catch (err) {
      const status = statusOf(err);
      if (status === 500) log.error('request failed', { method: req.method, path: url.pathname, error: messageOf(err) });
      else log.debug('request refused', { method: req.method, path: url.pathname, status, error: messageOf(err) });
      if (!ctx.headersSent) fail(status, messageOf(err));
      else if (res && !res.writableEnded) res.end();
      else socket?.end();
    }
  }
}

function sendError(
  res: ServerResponse | undefined,
  socket: Duplex | undefined,
  status: number,
  message: string,
  headers: Record<string, string>,
): void {
  if (status === 304) {
    if (res) {
      res.writeHead(304, headers);
      res.end();
    } else socket?.end('HTTP/1.1 304 Not Modified\r\n\r\n');
    return;
  }
  const body = JSON.stringify({ message }) + '\n';
  if (res) {
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  socket?.end(
    `HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

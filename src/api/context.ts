import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { invalidArgument } from '../util/errors.js';
import { compareApiVersions } from './version.js';

const MAX_JSON_BODY = 16 * 1024 * 1024;

/**
 * One API request. A handler answers through exactly one of json(), empty(),
 * stream() or hijack(). For upgraded connections (attach, exec) `res` is
 * absent and hijack() writes the 101 answer on the raw socket.
 */
export class Context {
  readonly query: URLSearchParams;
  private answered = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse | undefined,
    readonly upgradeSocket: Duplex | undefined,
    readonly version: string,
    readonly params: Record<string, string>,
    readonly baseHeaders: Record<string, string>,
  ) {
    this.query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  }

  get headersSent(): boolean {
    return this.answered;
  }

  /** True when the client's API version is at least `v`. */
  atLeast(v: string): boolean {
    return compareApiVersions(this.version, v) >= 0;
  }

  /** A boolean query flag as Docker reads them: "1", "true", "True" are true. */
  flag(name: string, fallback = false): boolean {
    const v = this.query.get(name);
    if (v === null || v === '') return fallback;
    return v === '1' || v.toLowerCase() === 'true';
  }

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw invalidArgument(`invalid value for ${name}: ${v}`);
    return n;
  }

  /** The `filters` query parameter, accepting both the list and the legacy map form. */
  filters(): Record<string, string[]> {
    const raw = this.query.get('filters');
    if (!raw) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalidArgument(`invalid filter: ${raw}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidArgument(`invalid filter: ${raw}`);
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else if (v && typeof v === 'object') out[k] = Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]);
      else throw invalidArgument(`invalid filter: ${raw}`);
    }
    return out;
  }

  /** The request body as JSON; an empty body is `undefined`. Malformed JSON is a 400. */
  async json<T>(): Promise<T | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_JSON_BODY) throw invalidArgument('request body too large');
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw invalidArgument(`invalid JSON in request body: ${(err as Error).message}`);
    }
  }

  reply(status: number, body?: unknown): void {
    this.answered = true;
    const res = this.requireRes();
    if (body === undefined) {
      res.writeHead(status, this.baseHeaders);
      res.end();
      return;
    }
    const text = JSON.stringify(body) + '\n';
    res.writeHead(status, { ...this.baseHeaders, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  empty(status = 204): void {
    this.reply(status);
  }

  /** Starts a streamed answer (logs, progress, events); headers are flushed now. */
  stream(status: number, contentType: string): Writable {
    this.answered = true;
    const res = this.requireRes();
    res.writeHead(status, { ...this.baseHeaders, 'Content-Type': contentType });
    res.flushHeaders();
    return res;
  }

  /**
   * Takes over the connection for a raw bidirectional stream. With an Upgrade
   * request the answer is `101 UPGRADED` and both directions are the socket;
   * otherwise `200 OK` streamed (chunked), with the request body as input, as
   * dockerode uses attach without hijacking.
   */
  hijack(contentType: string): { output: Writable; input: NodeJS.ReadableStream; close: () => void } {
    this.answered = true;
    const socket = this.upgradeSocket;
    if (socket) {
      const head =
        'HTTP/1.1 101 UPGRADED\r\n' +
        `Content-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        Object.entries(this.baseHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
        '\r\n';
      socket.write(head);
      return { output: socket, input: socket, close: () => socket.end() };
    }
    const res = this.requireRes();
    res.writeHead(200, { ...this.baseHeaders, 'Content-Type': contentType });
    res.flushHeaders();
    return { output: res, input: this.req, close: () => res.end() };
  }

  private requireRes(): ServerResponse {
    if (!this.res) throw invalidArgument('this endpoint does not accept a connection upgrade');
    return this.res;
  }
}

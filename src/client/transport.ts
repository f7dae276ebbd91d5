/**
 * HTTP transport to a Docker-compatible daemon (berthd, or dockerd itself):
 * host selection, requests over a unix socket or TCP with one keep-alive
 * agent, error mapping, and connection hijacking for attach and exec.
 *
 * Start-up cost matters (every `berth` command loads this): only node
 * builtins are imported and nothing happens at module load.
 */
import * as http from 'node:http';
import { Duplex, Readable } from 'node:stream';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
const DEFAULT_TCP_PORT = 2375;

/** Where the daemon listens; `url` is the canonical form used in messages. */
export type DaemonHost =
  | { kind: 'unix'; socketPath: string; url: string }
  | { kind: 'tcp'; hostname: string; port: number; url: string };

/** Parses `unix:///path`, a bare `/path`, `tcp://host[:port]` or `http://host[:port]`. */
export function parseHost(raw: string): DaemonHost {
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw, url: `unix://${raw}` };
  const m = /^([a-z]+):\/\/(.*)$/.exec(raw);
  const fail = (): never => {
    throw new Error(`unable to parse berth host \`${raw}\``);
  };
  if (!m) return fail();
  const [, scheme, rest] = m;
  if (scheme === 'unix') {
    if (!rest.startsWith('/')) return fail();
    return { kind: 'unix', socketPath: rest, url: `unix://${rest}` };
  }
  if (scheme === 'tcp' || scheme === 'http') {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)(?::(\d+))?\/?$/.exec(rest);
    if (!hp) return fail();
    const port = hp[2] === undefined ? DEFAULT_TCP_PORT : Number(hp[2]);
    if (port < 1 || port > 65535) return fail();
    const hostname = hp[1].replace(/^\[|\]$/g, '');
    return { kind: 'tcp', hostname, port, url: `tcp://${hp[1]}:${port}` };
  }
  throw new Error(`protocol not available: ${scheme} (berth speaks unix:// and tcp://)`);
}

/** The host from `-H`, else BERTH_HOST, else DOCKER_HOST, else the default socket. */
export function resolveHost(options: { flag?: string; env?: NodeJS.ProcessEnv } = {}): DaemonHost {
  const env = options.env ?? process.env;
  const chosen = [options.flag, env.BERTH_HOST, env.DOCKER_HOST].find((h) => h !== undefined && h !== '');
  return parseHost(chosen ?? DEFAULT_HOST);
}

/**
 * The daemon answered with an error status. `message` is the server's
 * `{"message"}` text alone; the CLI prints `Error response from daemon: <message>`.
 */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/** Nothing answers at the host: no socket, connection refused, or no permission. */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly host: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      code === 'EACCES'
        ? `permission denied while trying to connect to the berth daemon socket at ${host}`
        : `Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`,
      options,
    );
    this.name = 'DaemonUnreachableError';
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ENOTSOCK', 'EHOSTUNREACH', 'ECONNRESET']);

/** A query value: true → "1", false → "0", arrays repeat the key, objects (filters) are JSON. */
export type QueryValue = string | number | boolean | null | undefined | readonly string[] | object;

/** Encodes a query string (with its "?"), or "" when nothing is set. */
export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'boolean') params.append(key, value ? '1' : '0');
    else if (typeof value === 'string' || typeof value === 'number') params.append(key, String(value));
    else if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, JSON.stringify(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export interface RequestOptions {
  /** Defaults to GET. */
  method?: string;
  /** An API path such as "/containers/json"; the version prefix is added when configured. */
  path: string;
  query?: Record<string, QueryValue>;
  /** A Readable or Buffer is sent as is; a string as text; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
}

/** A hijacked connection: raw bytes both ways once the daemon has answered. */
export interface Hijacked {
  /** 101 after an upgrade, 200 when the daemon streamed without upgrading. */
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Reading gives the container's output; writing sends stdin; end() half-closes. */
  stream: Duplex;
  /** True for application/vnd.docker.multiplexed-stream (frames to demux). */
  multiplexed: boolean;
}

export interface TransportOptions {
  /** "1.45" makes every path "/v1.45/…"; unset sends unversioned paths. */
  apiVersion?: string;
  userAgent?: string;
}

type QueryShape = { query?: Record<string, QueryValue>; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal };

/** One daemon connection pool. Idle sockets do not keep the process alive. */
export class Transport {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(
    readonly host: DaemonHost,
    private readonly options: TransportOptions = {},
  ) {}

  /** Sends a request and reads the whole answer: JSON parsed, other text as a string, empty as undefined. */
  async request<T = unknown>(o: RequestOptions): Promise<ApiResponse<T>> {
    const res = await this.send(o, this.agent);
    const raw = await readAll(res);
    if (res.statusCode === undefined || res.statusCode >= 400) throw errorFromBody(res, raw, o.path);
    const text = raw.toString('utf8');
    let body: unknown = text === '' ? undefined : text;
    if (text !== '' && /json/i.test(res.headers['content-type'] ?? '')) body = JSON.parse(text);
    return { status: res.statusCode, headers: res.headers, body: body as T };
  }

  /** Sends a request and hands back the response body unread, for streams (logs, pull, events). */
  async requestStream(o: RequestOptions): Promise<ApiResponse<http.IncomingMessage>> {
    const res = await this.send(o, this.agent);
    if (res.statusCode === undefined || res.statusCode >= 400) throw errorFromBody(res, await readAll(res), o.path);
    return { status: res.statusCode, headers: res.headers, body: res };
  }

  /**
   * Attach/exec: asks for `Connection: Upgrade, Upgrade: tcp` on a fresh
   * connection and returns the raw socket after the daemon's 101, or the
   * request's socket paired with the response body after a plain 200.
   */
  async hijack(o: RequestOptions): Promise<Hijacked> {
    const headers = { Connection: 'Upgrade', Upgrade: 'tcp', ...o.headers };
    const req = this.open({ ...o, headers }, false);
    return new Promise<Hijacked>((resolve, reject) => {
      req.once('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ status: res.statusCode ?? 101, headers: res.headers, stream: socket, multiplexed: isMultiplexed(res) });
      });
      req.once('response', (res: http.IncomingMessage) => {
        if (res.statusCode === undefined || res.statusCode >= 400) {
          readAll(res).then((raw) => reject(errorFromBody(res, raw, o.path)), reject);
          return;
        }
        const stream = Duplex.from({ readable: res, writable: res.socket });
        resolve({ status: res.statusCode, headers: res.headers, stream, multiplexed: isMultiplexed(res) });
      });
      req.once('error', (err) => reject(this.mapError(err)));
      this.writeBody(req, o.body);
    });
  }

  /** client/api.ts's ApiTransport: the parsed body of a request. */
  async json<T>(method: string, path: string, o: QueryShape = {}): Promise<T> {
    return (await this.request<T>({ method, path, ...o })).body;
  }

  /** client/api.ts's ApiTransport: the unread body of a streaming request. */
  async stream(method: string, path: string, o: QueryShape = {}): Promise<Readable> {
    return (await this.requestStream({ method, path, ...o })).body;
  }

  /** client/api.ts's ApiTransport: headers and unread body. */
  async raw(method: string, path: string, o: QueryShape = {}): Promise<{ headers: http.IncomingHttpHeaders; body: Readable }> {
    const res = await this.requestStream({ method, path, ...o });
    return { headers: res.headers, body: res.body };
  }

  /** client/api.ts's ApiTransport: a hijacked connection for attach and exec. */
  async upgrade(method: string, path: string, o: QueryShape = {}): Promise<Duplex> {
    return (await this.hijack({ method, path, ...o })).stream;
  }

  /** Closes pooled sockets; later requests open new ones. */
  close(): void {
    this.agent.destroy();
  }

  private send(o: RequestOptions, agent: http.Agent | false): Promise<http.IncomingMessage> {
    const req = this.open(o, agent);
    return new Promise((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', (err) => reject(this.mapError(err)));
      this.writeBody(req, o.body);
    });
  }

  private open(o: RequestOptions, agent: http.Agent | false): http.ClientRequest {
    const version = this.options.apiVersion;
    const path = (version && !/^\/v\d/.test(o.path) ? `/v${version}${o.path}` : o.path) + encodeQuery(o.query);
    const headers: Record<string, string> = { 'User-Agent': this.options.userAgent ?? 'berth-client', ...o.headers };
    const body = o.body;
    const isStream = body instanceof Readable;
    if (body !== undefined && !isStream && !Buffer.isBuffer(body) && typeof body !== 'string') {
      headers['Content-Type'] ??= 'application/json';
    }
    // `servername: ''` keeps the agent from deriving a TLS server name, whose first
    // use compiles Node's IPv6 regular expression (~5 ms of every CLI start).
    const target =
      this.host.kind === 'unix'
        ? { socketPath: this.host.socketPath, host: 'localhost', servername: '' }
        : { host: this.host.hostname, port: this.host.port };
    return http.request({ ...target, method: o.method ?? 'GET', path, headers, agent, signal: o.signal });
  }

  private writeBody(req: http.ClientRequest, body: unknown): void {
    if (body instanceof Readable) {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    } else if (body === undefined) {
      req.end();
    } else if (Buffer.isBuffer(body) || typeof body === 'string') {
      req.end(body);
    } else {
      req.end(JSON.stringify(body));
    }
  }

  private mapError(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && UNREACHABLE_CODES.has(code) && (err as NodeJS.ErrnoException).syscall === 'connect') {
      return new DaemonUnreachableError(this.host.url, code, { cause: err });
    }
    return err;
  }
}

function isMultiplexed(res: http.IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').includes('application/vnd.docker.multiplexed-stream');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The moby client's reading of an error answer: `{"message"}`, else the text, else the status. */
function errorFromBody(res: http.IncomingMessage, raw: Buffer, path: string): ClientError {
  const status = res.statusCode ?? 500;
  const text = raw.toString('utf8').trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed?.message === 'string') message = parsed.message;
  } catch {
    // not JSON: the text itself is the message
  }
  if (message === '') {
    message = `request returned ${http.STATUS_CODES[status] ?? status} for API route and version ${path}, check if the server supports the requested API version`;
  }
  return new ClientError(status, message);
}

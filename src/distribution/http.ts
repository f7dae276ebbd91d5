/**
 * A small HTTP(S) client on node:http. berthd runs under V8 lite mode, which has
 * no WebAssembly, and Node's global fetch (undici) needs it for its parser; so
 * registry traffic goes through node:http instead. The answer mimics the parts
 * of fetch's Response the registry client uses; a body that is not consumed
 * must be released with `cancel()`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SecureContext } from 'node:tls';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface HttpResponse {
  status: number;
  statusText: string;
  ok: boolean;
  headers: { get(name: string): string | null };
  body: Readable;
  cancel(): Promise<void>;
  buffer(): Promise<Buffer>;
  json(): Promise<unknown>;
}

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable | string;
  signal?: AbortSignal;
  /** HTTPS: the CAs and client certificate to use (default: Node's roots). */
  secureContext?: SecureContext;
  /** HTTPS: false skips certificate verification (insecure registries only). */
  verify?: boolean;
  /**
   * Milliseconds the peer may stay silent: connecting, before the headers and
   * between body reads. Past it the request fails with ETIMEDOUT.
   */
  timeoutMs?: number;
}

const MAX_REDIRECTS = 5;

/** Sends one request, following redirects for body-less requests. Rejects with the socket error. */
export async function send(url: string | URL, o: HttpRequest, redirects = 0): Promise<HttpResponse> {
  const u = new URL(url);
  let answer: IncomingMessage | undefined;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const tls = u.protocol === 'https:' ? { ...(o.secureContext && { secureContext: o.secureContext }), ...(o.verify === false && { rejectUnauthorized: false }) } : {};
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: o.method, headers: o.headers, signal: o.signal, ...tls }, (r) => {
      answer = r;
      resolve(r);
    });
    req.once('error', reject);
    if (o.timeoutMs !== undefined) {
      req.setTimeout(o.timeoutMs, () => {
        const err = Object.assign(new Error(`no answer within ${Math.round(o.timeoutMs! / 1000)} s`), { code: 'ETIMEDOUT' });
        // Once the answer has begun, its reader must see the timeout (not a bare "aborted").
        if (answer) answer.destroy(err);
        req.destroy(err);
      });
    }
    if (o.body instanceof Readable) pipeline(o.body, req).catch(reject);
    else req.end(o.body);
  });
  const status = res.statusCode ?? 0;
  const location = res.headers.location;
  if (status >= 300 && status < 400 && location && !(o.body instanceof Readable) && redirects < MAX_REDIRECTS) {
    res.resume();
    const next = new URL(location, u);
    // Credentials and the registry's TLS settings are for the registry, not for
    // wherever it redirects blobs to.
    const headers = { ...o.headers };
    if (next.host === u.host) return send(next, { ...o, headers }, redirects + 1);
    delete headers.Authorization;
    return send(next, { ...o, headers, secureContext: undefined, verify: undefined }, redirects + 1);
  }
  const buffer = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  };
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string): string | null {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    body: res,
    cancel: async () => {
      res.resume();
    },
    buffer,
    json: async () => JSON.parse((await buffer()).toString('utf8')) as unknown,
  };
}

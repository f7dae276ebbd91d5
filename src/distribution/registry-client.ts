/**
 * A client for one repository on one registry endpoint (distribution spec v2):
 * manifests, blobs and uploads, with the authentication dance done once per
 * client and the resulting Authorization header reused. The endpoint
 * (registry-hosts.ts) says how to reach it: HTTPS, verified, for secure
 * registries; for insecure ones HTTPS unverified first, then plain HTTP.
 */
import { Readable } from 'node:stream';
import { EngineError, hasCode, notFound } from '../util/errors.js';
import { send, type HttpResponse } from './http.js';
import { basicHeader, causeText, fetchToken, parseChallenge, unauthorized } from './auth.js';
import type { Endpoint } from './registry-hosts.js';
import type { RegistryCredentials } from './types.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** A streamed body cannot be resent: authenticate with a body-less request first. */
  signal?: AbortSignal;
}

export class RegistryClient {
  private base: string;
  readonly domain: string;
  private authorization: string | undefined;
  /** Ask token servers for a refresh token too (login); the one received lands in `refreshToken`. */
  offlineToken = false;
  refreshToken: string | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    readonly path: string,
    private readonly creds: RegistryCredentials,
    /** Token scope actions: `pull` or `pull,push`. */
    private readonly actions: string,
  ) {
    this.base = endpoint.base;
    this.domain = endpoint.domain;
  }

  /** Sends one request; on a 401 it answers the challenge once and retries. */
  async request(method: string, pathOrUrl: string, o: RequestOptions = {}): Promise<HttpResponse> {
    // Read the base at each send: the first may have moved an insecure registry to plain HTTP.
    const url = (): string => (pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`);
    let res = await this.send(method, url(), o);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    await res.cancel();
    if (!challenge) throw unauthorized(`${this.domain}: unauthorized: authentication required`);
    if (challenge.scheme === 'basic') {
      const header = basicHeader(this.creds);
      if (!header) throw unauthorized(`${method === 'GET' || method === 'HEAD' ? 'pull' : 'push'} access denied for ${this.domain}/${this.path}: unauthorized: authentication required`);
      this.authorization = header;
    } else {
      const scope = this.path ? `repository:${this.path}:${this.actions}` : undefined;
      const got = await fetchToken(challenge, scope, this.creds, this.domain, { offline: this.offlineToken });
      this.authorization = `Bearer ${got.token}`;
      this.refreshToken ??= got.refreshToken;
    }
    if (o.body instanceof Readable) throw unauthorized(`${this.domain}: the registry asked for credentials in the middle of an upload`);
    res = await this.send(method, url(), o);
    if (res.status === 401) {
      await res.cancel();
      throw unauthorized(`${this.domain}: unauthorized: incorrect username or password`);
    }
    return res;
  }

  private async send(method: string, url: string, o: RequestOptions): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'User-Agent': 'berth', ...o.headers };
    if (this.authorization) headers.Authorization = this.authorization;
    const ep = this.endpoint;
    const https = url.startsWith('https:');
    try {
      return await send(url, { method, headers, body: o.body, signal: o.signal, timeoutMs: ep.timeoutMs, ...(https && { secureContext: ep.secureContext(), verify: !ep.insecure }) });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      // An insecure registry that does not speak TLS: ask again over plain HTTP, as dockerd does.
      if (https && ep.insecure && url.startsWith(this.base) && !hasCode(err, 'ETIMEDOUT') && !(o.body instanceof Readable)) {
        this.base = this.base.replace(/^https:/, 'http:');
        const plainUrl = url.replace(/^https:/, 'http:');
        const res = await this.send(method, plainUrl, o);
        ep.answeredPlain();
        return res;
      }
      const u = new URL(url);
      const verb = method.charAt(0) + method.slice(1).toLowerCase();
      throw new EngineError('Internal', `${verb} "${u.origin}${u.pathname}": ${hasCode(err, 'ETIMEDOUT') ? `${u.host}: ` : `dial tcp ${u.host}: `}${causeText(err)}`);
    }
  }

  /** Checks the registry answers the v2 API with these credentials (docker login). */
  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/');
    await res.cancel();
    if (!res.ok) throw new EngineError('Internal', `${this.domain}: the registry answered ${res.status} to GET /v2/`);
  }

  /** GET (or HEAD) a manifest by tag or digest. NotFound is docker's "manifest unknown". */
  async manifest(reference: string, display: string, method: 'GET' | 'HEAD' = 'GET'): Promise<{ bytes: Buffer; mediaType: string; digest?: string }> {
    const res = await this.request(method, `/v2/${this.path}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 404) {
      const detail = await errorText(res, 'manifest unknown');
      throw notFound(`manifest for ${display} not found: ${detail}`);
    }
    await this.check(res, `manifest for ${display}`);
    const bytes = method === 'HEAD' ? Buffer.alloc(0) : await res.buffer();
    return { bytes, mediaType: (res.headers.get('content-type') ?? '').split(';')[0].trim(), digest: res.headers.get('docker-content-digest') ?? undefined };
  }

  /** The repository's tags (`GET /v2/<name>/tags/list`), sorted. */
  async tags(): Promise<string[]> {
    const res = await this.request('GET', `/v2/${this.path}/tags/list`);
    await this.check(res, 'tag list');
    const body = (await res.json()) as { tags?: string[] | null };
    return [...(body.tags ?? [])].sort();
  }

  /** True when the repository has the blob. */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${this.path}/blobs/${digest}`);
    await res.cancel();
    if (res.status === 404) return false;
    await this.check(res, `blob ${digest}`);
    return true;
  }

  /** A stream of the blob's bytes; the caller verifies them. */
  async blob(digest: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.request('GET', `/v2/${this.path}/blobs/${digest}`, { signal });
    await this.check(res, `blob ${digest}`);
    return res.body;
  }

  /**
   * Uploads a blob in one PUT after opening an upload session (the session
   * request carries the authentication dance, so the streamed PUT never needs a
   * retry). With `mountFrom`, asks the registry to mount the blob from another
   * repository first; true when that worked and nothing was sent.
   */
  async uploadBlob(digest: string, size: number, body: () => Promise<Readable>, mountFrom?: string): Promise<'mounted' | 'pushed'> {
    const query = mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await this.request('POST', `/v2/${this.path}/blobs/uploads/${query}`, { headers: { 'Content-Length': '0' } });
    await start.cancel();
    if (start.status === 201 && mountFrom) return 'mounted';
    await this.check(start, `upload of ${digest}`);
    const location = start.headers.get('location');
    if (!location) throw new EngineError('Internal', `${this.domain}: upload session without a Location`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const res = await this.request('PUT', url.toString(), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body: await body(),
    });
    await res.cancel();
    await this.check(res, `upload of ${digest}`);
    return 'pushed';
  }

  async putManifest(tag: string, mediaType: string, bytes: Buffer): Promise<void> {
    const res = await this.request('PUT', `/v2/${this.path}/manifests/${tag}`, { headers: { 'Content-Type': mediaType }, body: bytes });
    await this.check(res, `manifest ${tag}`);
    await res.cancel();
  }

  /** Turns a non-2xx answer into an error naming the registry and what was asked. */
  private async check(res: HttpResponse, what: string): Promise<void> {
    if (res.ok) return;
    const detail = await errorText(res, `${res.status} ${res.statusText}`);
    if (res.status === 401 || res.status === 403) throw unauthorized(`${this.domain}/${this.path}: ${what}: ${detail}`);
    if (res.status === 404) throw notFound(`${this.domain}/${this.path}: ${what}: ${detail}`);
    throw new EngineError('Internal', `${this.domain}/${this.path}: ${what}: ${detail}`);
  }
}

/** The registry's error as docker prints it: `manifest unknown: manifest unknown`. */
async function errorText(res: HttpResponse, fallback: string): Promise<string> {
  try {
    const body = (await res.json()) as { errors?: Array<{ code?: string; message?: string }> };
    const e = body.errors?.[0];
    if (e?.code) return `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`;
  } catch {
    // not JSON (or no body, as for HEAD)
  }
  return fallback;
}

/**
 * Registry authentication: the `WWW-Authenticate` challenge, basic credentials
 * and the bearer-token flow of the distribution token spec. Credentials are never
 * put into messages: errors name the registry, not the user or password.
 */
import { EngineError } from '../util/errors.js';
import { send, type HttpResponse } from './http.js';
import type { RegistryCredentials } from './types.js';

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme, params };
}

export function basicHeader(creds: RegistryCredentials): string | undefined {
  if (creds.username === undefined || creds.username === '') return undefined;
  return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
}

export function unauthorized(message: string): EngineError {
  return new EngineError('Unauthorized', message);
}

/**
 * Fetches a bearer token from the challenge's realm for `scope`. With a username
 * the token server sees basic credentials; with an identity token it gets an
 * OAuth2 refresh-token grant, as docker sends. With `offline` (login), a
 * username's request also asks for a refresh token (`offline_token=true`),
 * which docker keeps as the identity token instead of the password.
 */
export async function fetchToken(
  challenge: Challenge,
  scope: string | undefined,
  creds: RegistryCredentials,
  registry: string,
  o: { offline?: boolean } = {},
): Promise<{ token: string; refreshToken?: string }> {
  if (creds.registrytoken) return { token: creds.registrytoken };
  const realm = challenge.params.realm;
  if (!realm) throw unauthorized(`${registry}: the registry asked for a bearer token without naming a realm`);
  const url = new URL(realm);
  const service = challenge.params.service;
  const wantScope = scope ?? challenge.params.scope;
  let res: HttpResponse;
  try {
    if (creds.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identitytoken, client_id: 'berth' });
      if (service) form.set('service', service);
      if (wantScope) form.set('scope', wantScope);
      res = await send(url, { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    } else {
      if (service) url.searchParams.set('service', service);
      if (wantScope) url.searchParams.set('scope', wantScope);
      if (o.offline && creds.username) {
        url.searchParams.set('offline_token', 'true');
        url.searchParams.set('client_id', 'berth');
      }
      const auth = basicHeader(creds);
      res = await send(url, { method: 'GET', headers: auth ? { Authorization: auth } : {} });
    }
  } catch (err) {
    throw new EngineError('Internal', `${registry}: cannot reach the token server ${url.origin}: ${causeText(err)}`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.cancel();
    throw unauthorized(`Get "${url.origin}${url.pathname}": unauthorized: incorrect username or password`);
  }
  if (!res.ok) {
    await res.cancel();
    throw new EngineError('Internal', `${registry}: token server ${url.origin} answered ${res.status}`);
  }
  let body: { token?: string; access_token?: string; refresh_token?: string };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new EngineError('Internal', `${registry}: the token server ${url.origin} answered something that is not JSON`);
  }
  const token = body.token ?? body.access_token;
  if (!token) throw unauthorized(`${registry}: the token server answered without a token`);
  return { token, ...(typeof body.refresh_token === 'string' && body.refresh_token !== '' && { refreshToken: body.refresh_token }) };
}

/** The system error behind a failed fetch, as Go's net package words it. */
export function causeText(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.code ? e : e?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    case 'ECONNRESET':
      return 'connection reset by peer';
    default:
      return cause?.message ?? (err instanceof Error ? err.message : String(err));
  }
}

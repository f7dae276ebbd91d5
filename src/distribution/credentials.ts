/**
 * Credentials as they travel: the `X-Registry-Auth` header (base64url JSON,
 * docker's AuthConfig) and the registry address users type at `login`.
 */
import { invalidArgument } from '../util/errors.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryHosts } from './registry-hosts.js';
import type { RegistryCredentials } from './types.js';

/** Decodes X-Registry-Auth; an absent or empty header means anonymous. */
export function decodeRegistryAuth(header: string | undefined | null): RegistryCredentials {
  if (!header || header.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('invalid X-Registry-Auth header: not base64url-encoded JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const p = parsed as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  let username = str(p.username);
  let password = str(p.password);
  const auth = str(p.auth);
  if (!username && auth) {
    const plain = Buffer.from(auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      username = plain.slice(0, colon);
      password = plain.slice(colon + 1);
    }
  }
  return {
    ...(username && { username }),
    ...(password && { password }),
    ...(str(p.identitytoken) && { identitytoken: str(p.identitytoken) }),
    ...(str(p.registrytoken) && { registrytoken: str(p.registrytoken) }),
  };
}

/** `http://127.0.0.1:5000/v2/` → `127.0.0.1:5000`; docker's index URLs → `docker.io`. */
export function registryDomain(serverAddress: string | undefined): string {
  const raw = (serverAddress ?? '').trim();
  if (raw === '' || /(^|\/\/)(index\.)?docker\.io(\/|$)/.test(raw) || raw.includes('registry-1.docker.io')) return 'docker.io';
  return raw.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

/**
 * `POST /auth`: checks the credentials against the registry's `/v2/`. Wrong
 * credentials raise Unauthorized naming the registry, never the password.
 * When the registry's token server hands out a refresh token, it is returned
 * as the IdentityToken, which clients store instead of the password.
 */
export async function checkLogin(hosts: RegistryHosts, serverAddress: string | undefined, creds: RegistryCredentials): Promise<{ Status: string; IdentityToken: string }> {
  const domain = registryDomain(serverAddress);
  const client = new RegistryClient(hosts.registry(domain), '', creds, 'pull');
  client.offlineToken = true;
  await client.ping();
  return { Status: 'Login Succeeded', IdentityToken: client.refreshToken ?? '' };
}

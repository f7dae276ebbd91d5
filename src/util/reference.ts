/**
 * Image references as Docker reads them: the distribution reference grammar
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component { "/" path-component }
 *   domain    := host [ ":" port ]          (host: DNS name or [IPv6])
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex
 *
 * plus Docker's normalisation: a name without a domain lives on docker.io, and a
 * one-component docker.io name lives under `library/` (`busybox` is
 * `docker.io/library/busybox`). The "familiar" form undoes that for display.
 * Pure functions; every malformed input raises InvalidArgument with the wording
 * Docker prints, because users and scripts match on it.
 */
import { invalidArgument, type EngineError } from './errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_MAX = 255;

/** A parsed reference. `domain` and `path` are always set once normalised. */
export interface ImageReference {
  readonly domain: string;
  /** Repository path below the domain, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  /** `algorithm:hex`. */
  readonly digest?: string;
}

// The grammar, built from named pieces so each regular expression stays readable.
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const namePattern = `(?:(${domainAndPort})/)?(${pathComponent}(?:/${pathComponent})*)`;
const referenceRe = new RegExp(`^${namePattern}(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const tagRe = new RegExp(`^${tagPattern}$`);
const hex64Re = /^[a-f0-9]{64}$/;

const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** True for a valid tag (`latest`, `1.36.1`, `v2_rc-1`). */
export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}

/** True for a 64-digit lowercase hex string, which Docker always reads as an image ID. */
export function isFullHexId(s: string): boolean {
  return hex64Re.test(s);
}

function referenceFormatError(detail?: string): EngineError {
  return invalidArgument(detail ? `invalid reference format: ${detail}` : 'invalid reference format');
}

function checkDigest(digest: string): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const want = digestHexLength[algorithm];
  if (want === undefined) throw invalidArgument(`invalid reference format: unsupported digest algorithm ${algorithm}`);
  if (!/^[a-f0-9]+$/.test(hex)) throw invalidArgument('invalid reference format: invalid checksum digest format');
  if (hex.length !== want) throw invalidArgument('invalid reference format: invalid checksum digest length');
}

/**
 * Splits a name into Docker's domain and remote path, before validation:
 * the first component is a domain when it is `localhost`, contains `.` or `:`,
 * or has upper case (namespaces never do); otherwise the domain is docker.io.
 */
function splitDockerDomain(name: string): { domain: string; remote: string } {
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let remote = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (first === 'localhost' || first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
      domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
      remote = rest;
    }
  }
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_PREFIX + remote;
  return { domain, remote };
}

/**
 * Parses and normalises a reference the way Docker does for user input
 * (`busybox`, `user/app:1`, `localhost:5000/x@sha256:...`). Adds no tag: see
 * withDefaultTag. Rejects a bare 64-hex string, which names an image ID.
 */
export function parseReference(input: string): ImageReference {
  if (input === '') throw referenceFormatError('repository name must have at least one component');
  if (isFullHexId(input)) {
    throw invalidArgument(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remote: remainder } = splitDockerDomain(input);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) throw referenceFormatError(`repository name (${remote}) must be lowercase`);

  const m = referenceRe.exec(`${domain}/${remainder}`);
  // The domain group must be exactly the domain chosen above: a host the grammar
  // rejects (`bad_host.com/x`) must not slide into the path instead.
  if (!m || m[1] !== domain) throw referenceFormatError();
  const [, , path, tag, digest] = m;
  if (domain.length + 1 + path.length > NAME_MAX) {
    throw referenceFormatError(`repository name must not be more than ${NAME_MAX} characters`);
  }
  if (digest !== undefined) checkDigest(digest);
  return { domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** Adds the `latest` tag to a reference that has neither tag nor digest. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** `domain/path`, e.g. `docker.io/library/busybox`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The fully qualified string: `docker.io/library/busybox:latest`. */
export function referenceString(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The repository as users write it: `busybox`, `user/app`, `localhost:5000/x`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  const path = ref.path;
  if (path.startsWith(OFFICIAL_PREFIX) && !path.slice(OFFICIAL_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_PREFIX.length);
  }
  return path;
}

/** The whole reference as users write it: `busybox:latest`, `user/app@sha256:...`. */
export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Parse, add `latest` when needed, and print fully qualified: `busybox` → `docker.io/library/busybox:latest`. */
export function normalizeReference(input: string): string {
  return referenceString(withDefaultTag(parseReference(input)));
}

/** The familiar form of any reference string: `docker.io/library/busybox:latest` → `busybox:latest`. */
export function familiarize(input: string): string {
  return familiarString(parseReference(input));
}

/**
 * Splits `name[:tag]` at the tag's colon, never at a registry port's
 * (`localhost:5000/x:1` → `localhost:5000/x` and `1`). A reference with a
 * digest is returned whole as the name, for the daemon to judge. No
 * validation: for names the user typed or the store holds.
 */
export function splitTag(ref: string): { name: string; tag?: string } {
  const colon = ref.lastIndexOf(':');
  if (ref.includes('@') || colon <= ref.lastIndexOf('/')) return { name: ref };
  return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

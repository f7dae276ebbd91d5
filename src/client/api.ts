import type { Readable, Duplex } from 'node:stream';
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  ContainerWaitResponse,
  Filters,
} from '../spec/docker-container.js';
import type { ImageInspect, ImageSummary } from '../spec/docker-image.js';

/** What the typed client needs from the HTTP transport. */
export interface ApiTransport {
  json<T>(method: string, path: string, o?: { query?: Query; body?: unknown; headers?: Record<string, string> }): Promise<T>;
  stream(method: string, path: string, o?: { query?: Query; body?: unknown | Readable; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Readable>;
  upgrade(method: string, path: string, o?: { query?: Query; body?: unknown }): Promise<Duplex>;
  /** The answer's headers with its unread body (archive: the stat travels in a header). */
  raw(method: string, path: string, o?: { query?: Query; body?: unknown | Readable; headers?: Record<string, string> }): Promise<{ headers: Record<string, string | string[] | undefined>; body: Readable }>;
}

/** POST /build's query, as docker's client sends it. */
export interface BuildQuery {
  t?: string[];
  dockerfile?: string;
  buildargs?: string;
  labels?: string;
  nocache?: boolean;
  pull?: boolean;
  q?: boolean;
  target?: string;
  networkmode?: string;
  extrahosts?: string[];
  platform?: string;
  rm?: boolean;
  forcerm?: boolean;
  /** JSON array of image references. */
  cachefrom?: string;
}

export type Query = Record<string, string | number | boolean | undefined | string[] | Filters>;

/**
 * The Docker Engine API, one method per endpoint, mirroring the API's names.
 * Imports no engine code: it speaks only HTTP through the transport.
 */
export class DockerClient {
  constructor(private readonly t: ApiTransport) {}

  ping(): Promise<unknown> {
    return this.t.json('GET', '/_ping');
  }
  version(): Promise<Record<string, unknown>> {
    return this.t.json('GET', '/version');
  }
  info(): Promise<Record<string, unknown>> {
    return this.t.json('GET', '/info');
  }

  containerCreate(body: ContainerCreateBody, o: { name?: string; platform?: string } = {}): Promise<{ Id: string; Warnings: string[] }> {
    return this.t.json('POST', '/containers/create', { query: { name: o.name, platform: o.platform }, body });
  }
  containerList(o: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.t.json('GET', '/containers/json', { query: { all: o.all, limit: o.limit, size: o.size, filters: o.filters } });
  }
  containerInspect(id: string): Promise<ContainerInspect> {
    return this.t.json('GET', `/containers/${encodeURIComponent(id)}/json`);
  }
  containerStart(id: string): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/start`);
  }
  containerStop(id: string, o: { t?: number; signal?: string } = {}): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { t: o.t, signal: o.signal } });
  }
  containerRestart(id: string, o: { t?: number; signal?: string } = {}): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/restart`, { query: { t: o.t, signal: o.signal } });
  }
  containerKill(id: string, signal?: string): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal } });
  }
  containerRename(id: string, name: string): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name } });
  }
  containerRemove(id: string, o: { force?: boolean; v?: boolean } = {}): Promise<void> {
    return this.t.json('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: o.force, v: o.v } });
  }
  containersPrune(filters?: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.t.json('POST', '/containers/prune', { query: { filters } });
  }
  /**
   * Resolves once the daemon has registered the wait (response headers in);
   * `result` settles when the condition is met. (Wrapped in an object because
   * an async function would flatten a returned promise.)
   */
  async containerWait(id: string, condition?: string, signal?: AbortSignal): Promise<{ result: Promise<ContainerWaitResponse> }> {
    const body = await this.t.stream('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition }, signal });
    return { result: readJson<ContainerWaitResponse>(body) };
  }
  containerLogs(id: string, o: { follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string; timestamps?: boolean; tail?: string }): Promise<Readable> {
    return this.t.stream('GET', `/containers/${encodeURIComponent(id)}/logs`, { query: o });
  }
  containerAttach(id: string, o: { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean; detachKeys?: string }): Promise<Duplex> {
    return this.t.upgrade('POST', `/containers/${encodeURIComponent(id)}/attach`, { query: o });
  }

  containerResize(id: string, h: number, w: number): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/resize`, { query: { h, w } });
  }
  containerUpdate(id: string, body: object): Promise<{ Warnings: string[] | null }> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/update`, { body });
  }
  containerPause(id: string): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/pause`);
  }
  containerUnpause(id: string): Promise<void> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/unpause`);
  }
  containerTop(id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.t.json('GET', `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: psArgs } });
  }
  /** Newline-delimited StatsJSON: one reading a second with `stream`, else one. */
  containerStats(id: string, o: { stream: boolean; oneShot?: boolean }): Promise<Readable> {
    return this.t.stream('GET', `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: o.stream, 'one-shot': o.oneShot } });
  }
  /** GET /events: newline-delimited JSON, endless unless `until` is given. */
  events(o: { since?: string; until?: string; filters?: Filters } = {}): Promise<Readable> {
    return this.t.stream('GET', '/events', { query: { since: o.since, until: o.until, filters: o.filters } });
  }
  execCreate(id: string, body: Record<string, unknown>): Promise<{ Id: string }> {
    return this.t.json('POST', `/containers/${encodeURIComponent(id)}/exec`, { body });
  }
  /** Detached: answers once the process runs. */
  execStartDetached(execId: string): Promise<void> {
    return this.t.json('POST', `/exec/${encodeURIComponent(execId)}/start`, { body: { Detach: true, Tty: false } });
  }
  /** Attached: the hijacked stream carries the output (multiplexed without a tty) and takes stdin. */
  execStart(execId: string, o: { tty: boolean; consoleSize?: [number, number] }): Promise<Duplex> {
    return this.t.upgrade('POST', `/exec/${encodeURIComponent(execId)}/start`, { body: { Detach: false, Tty: o.tty, ConsoleSize: o.consoleSize } });
  }
  execInspect(execId: string): Promise<{ ExitCode: number | null; Running: boolean; Pid: number }> {
    return this.t.json('GET', `/exec/${encodeURIComponent(execId)}/json`);
  }
  execResize(execId: string, h: number, w: number): Promise<void> {
    return this.t.json('POST', `/exec/${encodeURIComponent(execId)}/resize`, { query: { h, w } });
  }

  /** HEAD /containers/{id}/archive: the path's stat, from the X-Docker-Container-Path-Stat header. */
  async containerStatPath(id: string, path: string): Promise<ContainerPathStat> {
    const res = await this.t.raw('HEAD', `/containers/${encodeURIComponent(id)}/archive`, { query: { path } });
    res.body.resume();
    return decodePathStat(res.headers);
  }
  /** GET /containers/{id}/archive: a tar of the path, with its stat. */
  async containerArchive(id: string, path: string): Promise<{ stat: ContainerPathStat; body: Readable }> {
    const res = await this.t.raw('GET', `/containers/${encodeURIComponent(id)}/archive`, { query: { path } });
    return { stat: decodePathStat(res.headers), body: res.body };
  }
  /** PUT /containers/{id}/archive: extracts the tar into the directory `path`. */
  async containerPutArchive(id: string, path: string, tar: Readable, o: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    const res = await this.t.raw('PUT', `/containers/${encodeURIComponent(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: o.noOverwriteDirNonDir, copyUIDGID: o.copyUIDGID },
      body: tar,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    res.body.resume();
  }
  containerChanges(id: string): Promise<Array<{ Path: string; Kind: number }> | null> {
    return this.t.json('GET', `/containers/${encodeURIComponent(id)}/changes`);
  }
  volumeList(filters?: Filters): Promise<{ Volumes: VolumeSummary[] | null; Warnings: string[] | null }> {
    return this.t.json('GET', '/volumes', { query: { filters } });
  }
  volumeCreate(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }): Promise<VolumeSummary> {
    return this.t.json('POST', '/volumes/create', { body });
  }
  volumeInspect(name: string): Promise<VolumeSummary> {
    return this.t.json('GET', `/volumes/${encodeURIComponent(name)}`);
  }
  volumeRemove(name: string, o: { force?: boolean } = {}): Promise<void> {
    return this.t.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: o.force } });
  }
  volumesPrune(filters?: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.t.json('POST', '/volumes/prune', { query: { filters } });
  }
  networkList(filters?: Filters): Promise<NetworkJson[]> {
    return this.t.json('GET', '/networks', { query: { filters } });
  }
  networkInspect(id: string): Promise<NetworkJson> {
    return this.t.json('GET', `/networks/${encodeURIComponent(id)}`);
  }
  networkCreate(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }> {
    return this.t.json('POST', '/networks/create', { body });
  }
  networkRemove(id: string): Promise<void> {
    return this.t.json('DELETE', `/networks/${encodeURIComponent(id)}`);
  }
  networksPrune(filters?: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    return this.t.json('POST', '/networks/prune', { query: { filters } });
  }
  networkConnect(id: string, body: { Container: string; EndpointConfig?: Record<string, unknown> }): Promise<void> {
    return this.t.json('POST', `/networks/${encodeURIComponent(id)}/connect`, { body });
  }
  networkDisconnect(id: string, body: { Container: string; Force?: boolean }): Promise<void> {
    return this.t.json('POST', `/networks/${encodeURIComponent(id)}/disconnect`, { body });
  }
  /**
   * POST /build (the legacy builder): `context` is a tar stream; answers the
   * JSON progress stream. `secrets` travel in berth's X-Berth-Build-Secrets header.
   */
  build(context: Readable, o: BuildQuery & { registryConfig?: string; secrets?: Record<string, Buffer> }): Promise<Readable> {
    const { registryConfig, secrets, ...query } = o;
    const headers: Record<string, string> = { 'Content-Type': 'application/x-tar' };
    if (registryConfig) headers['X-Registry-Config'] = registryConfig;
    if (secrets && Object.keys(secrets).length > 0) {
      const map = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, v.toString('base64')]));
      headers['X-Berth-Build-Secrets'] = Buffer.from(JSON.stringify(map)).toString('base64');
    }
    return this.t.stream('POST', '/build', { query: query as Query, body: context, headers });
  }
  buildPrune(o: { all?: boolean; filters?: Filters; keepStorage?: number } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.t.json('POST', '/build/prune', { query: { all: o.all, filters: o.filters, 'keep-storage': o.keepStorage } });
  }
  buildCancel(id: string): Promise<void> {
    return this.t.json('POST', '/build/cancel', { query: { id } });
  }

  systemDf(): Promise<Record<string, unknown>> {
    return this.t.json('GET', '/system/df');
  }

  imageList(o: { all?: boolean; filters?: Filters; digests?: boolean } = {}): Promise<ImageSummary[]> {
    return this.t.json('GET', '/images/json', { query: { all: o.all, filters: o.filters, digests: o.digests } });
  }
  imageInspect(name: string): Promise<ImageInspect> {
    return this.t.json('GET', `/images/${name}/json`);
  }
  imageHistory(name: string): Promise<Array<Record<string, unknown>>> {
    return this.t.json('GET', `/images/${name}/history`);
  }
  imageTag(name: string, repo: string, tag?: string): Promise<void> {
    return this.t.json('POST', `/images/${name}/tag`, { query: { repo, tag } });
  }
  imageRemove(name: string, o: { force?: boolean; noprune?: boolean } = {}): Promise<Array<{ Untagged?: string; Deleted?: string }>> {
    return this.t.json('DELETE', `/images/${name}`, { query: { force: o.force, noprune: o.noprune } });
  }
  imagesPrune(filters?: Filters): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }> {
    return this.t.json('POST', '/images/prune', { query: { filters } });
  }
  /** POST /images/create?fromSrc=-: the body is a rootfs tarball; answers a JSON progress stream. */
  imageImport(source: Readable, o: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string }): Promise<Readable> {
    return this.t.stream('POST', '/images/create', {
      query: { fromSrc: '-', repo: o.repo, tag: o.tag, changes: o.changes, message: o.message, platform: o.platform },
      body: source,
      headers: { 'Content-Type': 'application/x-tar' },
    });
  }
  imagePull(fromImage: string, o: { tag?: string; platform?: string; registryAuth?: string } = {}): Promise<Readable> {
    const headers: Record<string, string> = o.registryAuth ? { 'X-Registry-Auth': o.registryAuth } : {};
    return this.t.stream('POST', '/images/create', { query: { fromImage, tag: o.tag, platform: o.platform }, headers });
  }
  /** POST /images/{name}/push: a JSON progress stream. `registryAuth` is the X-Registry-Auth value. */
  imagePush(name: string, o: { tag?: string; registryAuth?: string } = {}): Promise<Readable> {
    const headers: Record<string, string> = { 'X-Registry-Auth': o.registryAuth ?? 'e30=' };
    return this.t.stream('POST', `/images/${name}/push`, { query: { tag: o.tag }, headers });
  }
  /** GET /images/get?names=: a tar of the images (docker save). */
  imagesGet(names: string[]): Promise<Readable> {
    return this.t.stream('GET', '/images/get', { query: { names } });
  }
  /** POST /images/load: the body is a docker save or OCI layout tarball; answers JSON lines. */
  imagesLoad(source: Readable, o: { quiet?: boolean } = {}): Promise<Readable> {
    return this.t.stream('POST', '/images/load', { query: { quiet: o.quiet }, body: source, headers: { 'Content-Type': 'application/x-tar' } });
  }
  /** POST /commit: a new image from a container's changes. */
  commit(o: { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[] }): Promise<{ Id: string }> {
    return this.t.json('POST', '/commit', { query: { container: o.container, repo: o.repo, tag: o.tag, comment: o.comment, author: o.author, pause: o.pause, changes: o.changes } });
  }
  /** GET /containers/{id}/export: the container's filesystem as a tar. */
  containerExport(id: string): Promise<Readable> {
    return this.t.stream('GET', `/containers/${encodeURIComponent(id)}/export`);
  }
  /** POST /auth: checks credentials against a registry. */
  auth(body: { username: string; password: string; serveraddress: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.t.json('POST', '/auth', { body });
  }
}

async function readJson<T>(stream: Readable): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return JSON.parse(text) as T;
}

/** The stat docker cp reads; `mode` carries Go's os.FileMode bits. */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
  UsageData?: { Size: number; RefCount: number };
}

function decodePathStat(headers: Record<string, string | string[] | undefined>): ContainerPathStat {
  const raw = headers['x-docker-container-path-stat'];
  if (typeof raw !== 'string') throw new Error('the daemon sent no X-Docker-Container-Path-Stat header');
  return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as ContainerPathStat;
}

/** GET /networks/{id}, as docker shapes it. */
export interface NetworkJson {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> };
  Internal: boolean;
  Attachable: boolean;
  Containers: Record<string, { Name: string; IPv4Address: string; MacAddress: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

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
  stream(method: string, path: string, o?: { query?: Query; body?: unknown | Readable; headers?: Record<string, string> }): Promise<Readable>;
  upgrade(method: string, path: string, o?: { query?: Query }): Promise<Duplex>;
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
  async containerWait(id: string, condition?: string): Promise<{ result: Promise<ContainerWaitResponse> }> {
    const body = await this.t.stream('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition } });
    return { result: readJson<ContainerWaitResponse>(body) };
  }
  containerLogs(id: string, o: { follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string; timestamps?: boolean; tail?: string }): Promise<Readable> {
    return this.t.stream('GET', `/containers/${encodeURIComponent(id)}/logs`, { query: o });
  }
  containerAttach(id: string, o: { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean }): Promise<Duplex> {
    return this.t.upgrade('POST', `/containers/${encodeURIComponent(id)}/attach`, { query: o });
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
  imagePull(fromImage: string, o: { tag?: string; platform?: string } = {}): Promise<Readable> {
    return this.t.stream('POST', '/images/create', { query: { fromImage, tag: o.tag, platform: o.platform } });
  }
}

async function readJson<T>(stream: Readable): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return JSON.parse(text) as T;
}

/**
 * `docker load`: a docker-archive (`manifest.json`) or OCI-layout (`index.json`)
 * tarball, plain or gzip. File entries go into the content store as they stream
 * past, each under its computed digest (a `blobs/sha256/<hex>` entry must match
 * its name); once the whole archive is read, each image gets a manifest and is
 * added through the same path as a pull, so its references appear only after
 * every layer is unpacked and checked against the config's diffIDs.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Digest } from '../spec/ids.js';
import { Annotation, MediaType, type OciDescriptor, type OciIndex, type OciManifest } from '../spec/oci-image.js';
import type { ContentStore } from '../store/index.js';
import { invalidArgument } from '../util/errors.js';
import { familiarString, parseReference } from '../util/reference.js';
import type { AddStoredInput } from './ingest.js';
import { readTarEntries, TarFormatError } from './tar-entries.js';

const MAX_METADATA = 16 * 1024 * 1024;
const METADATA_FILES = new Set(['manifest.json', 'index.json', 'repositories', 'oci-layout']);

export interface LoadDeps {
  content: ContentStore;
  addStored(input: AddStoredInput): Promise<{ id: string }>;
}

interface Stored {
  digest: Digest;
  size: number;
  gzip: boolean;
}

/** Loads every image in the archive; `report` gets docker's "Loaded image: x" lines. */
export async function loadImages(deps: LoadDeps, input: AsyncIterable<Buffer | string>, report: (line: string) => void): Promise<void> {
  const files = new Map<string, Stored>();
  const metadata = new Map<string, Buffer>();
  try {
    for await (const entry of readTarEntries(await decompressed(input))) {
      const name = entry.name.replace(/^(\.\/)+/, '');
      if (entry.type !== 'file') continue;
      if (METADATA_FILES.has(name)) {
        if (entry.size > MAX_METADATA) throw invalidArgument(`invalid archive: ${name} is too large`);
        const chunks: Buffer[] = [];
        for await (const c of entry.body) chunks.push(c);
        metadata.set(name, Buffer.concat(chunks));
        continue;
      }
      if (!name.startsWith('blobs/') && !name.endsWith('.json') && !name.endsWith('layer.tar')) continue;
      files.set(name, await ingestEntry(deps.content, name, entry.body, entry.size));
    }
  } catch (err) {
    if (err instanceof TarFormatError) throw invalidArgument(`invalid archive: ${err.message}`);
    throw err;
  }
  const manifestJson = metadata.get('manifest.json');
  const indexJson = metadata.get('index.json');
  if (manifestJson) await loadDockerArchive(deps, files, parseJson(manifestJson, 'manifest.json'), report);
  else if (indexJson) await loadOciLayout(deps, files, parseJson(indexJson, 'index.json') as OciIndex, report);
  else throw invalidArgument('invalid archive: neither manifest.json nor index.json found (is this a docker save or OCI layout tarball?)');
}

async function ingestEntry(content: ContentStore, name: string, body: AsyncIterable<Buffer>, size: number): Promise<Stored> {
  const named = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  const writer = await content.ingest({ size, ...(named && { expected: `sha256:${named[1]}` as Digest }) });
  let head: Buffer | undefined;
  try {
    for await (const chunk of body) {
      head ??= chunk.subarray(0, 2);
      await writer.write(chunk);
    }
    const digest = await writer.commit();
    return { digest, size, gzip: head !== undefined && head[0] === 0x1f && head[1] === 0x8b };
  } catch (err) {
    throw invalidArgument(`invalid archive: ${name}: ${(err as Error).message}`);
  } finally {
    await writer.abort();
  }
}

async function loadDockerArchive(deps: LoadDeps, files: Map<string, Stored>, parsed: unknown, report: (line: string) => void): Promise<void> {
  if (!Array.isArray(parsed)) throw invalidArgument('invalid archive: manifest.json is not a list');
  for (const item of parsed as Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>) {
    const config = files.get(item.Config ?? '');
    if (!config) throw invalidArgument(`invalid archive: config ${item.Config} is missing`);
    const layers: OciDescriptor[] = (item.Layers ?? []).map((path) => {
      const f = files.get(path);
      if (!f) throw invalidArgument(`invalid archive: layer ${path} is missing`);
      return { mediaType: f.gzip ? MediaType.layerGzip : MediaType.layerTar, digest: f.digest, size: f.size };
    });
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: MediaType.config, digest: config.digest, size: config.size },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = await deps.content.writeBlob(bytes);
    const tags = item.RepoTags ?? [];
    const { id } = await deps.addStored({ manifestDigest, references: tags });
    if (tags.length === 0) report(`Loaded image ID: ${id}`);
    for (const t of tags) report(`Loaded image: ${familiarString(parseReference(t))}`);
  }
}

async function loadOciLayout(deps: LoadDeps, files: Map<string, Stored>, index: OciIndex, report: (line: string) => void): Promise<void> {
  for (const desc of index.manifests ?? []) {
    let manifestDesc = desc;
    if (desc.mediaType === MediaType.index || desc.mediaType === MediaType.dockerManifestList) {
      const inner = JSON.parse((await deps.content.readBlob(desc.digest)).toString('utf8')) as OciIndex;
      const pick = inner.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === hostArch()) ?? inner.manifests[0];
      if (!pick) continue;
      manifestDesc = pick;
    }
    if (!files.has(`blobs/sha256/${manifestDesc.digest.slice(7)}`)) throw invalidArgument(`invalid archive: manifest ${manifestDesc.digest} is missing`);
    const name = desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.[Annotation.refName];
    const references = name && isFullReference(name) ? [name] : [];
    const { id } = await deps.addStored({ manifestDigest: manifestDesc.digest, references });
    if (references.length === 0) report(`Loaded image ID: ${id}`);
    for (const r of references) report(`Loaded image: ${familiarString(parseReference(r))}`);
  }
}

/** An OCI ref.name is often only a tag (`latest`); only a name with a repository becomes a reference. */
function isFullReference(name: string): boolean {
  try {
    parseReference(name);
    return name.includes('/') || name.includes(':');
  } catch {
    return false;
  }
}

function hostArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

function parseJson(data: Buffer, name: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    throw invalidArgument(`invalid archive: ${name} is not valid JSON`);
  }
}

/** The archive's bytes, inflated when they start with the gzip magic. */
async function decompressed(input: AsyncIterable<Buffer | string>): Promise<Readable> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (first.done) return;
    for (let n = await it.next(); !n.done; n = await it.next()) yield Buffer.from(n.value);
  }
  const raw = Readable.from(all());
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return raw.pipe(createGunzip());
  return raw;
}

/**
 * The local image service over one data root, laid out as an OCI image layout:
 *
 *   oci-layout, index.json        the layout marker and the tag table (catalog.ts)
 *   blobs/sha256/<hex>            manifests, configs and layer tars (store/)
 *   layers/<chainid-hex>/diff     unpacked layers shared by images (layers.ts)
 *
 * Reads use the in-memory catalog; every mutation runs under one mutex on a
 * clone that is written to index.json before it replaces the live catalog.
 * Content is deleted only after the catalog that stopped using it is on disk,
 * so a crash can leave unreferenced files but never a reference to nothing.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainId, Digest, ImageId } from '../spec/ids.js';
import type { ImageDeleteItem, ImageInspect, ImagePruneReport, ImageSummary } from '../spec/docker-image.js';
import { OCI_LAYOUT_VERSION } from '../spec/oci-image.js';
import { AsyncMutex, openContentStore, sha256Digest, type ContentStore } from '../store/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { internal, invalidArgument } from '../util/errors.js';
import { isValidTag, parseReference, referenceString, repositoryName, withDefaultTag } from '../util/reference.js';
import { Catalog, loadCatalog, saveCatalog, type CatalogImage } from './catalog.js';
import { checkFilterKeys, danglingFilter, matchLabels, matchReference, parseTimeFilter } from './filters.js';
import { importTarball } from './import.js';
import { addStoredImage, type AddStoredInput } from './ingest.js';
import { loadImages } from './load.js';
import { commitContainer } from './commit.js';
import { saveImages } from './save.js';
import { chainIdsOf, LayerStore } from './layers.js';
import { pruneImages, removeImage, type Removal } from './remove.js';
import { findImage, noSuchImage } from './resolve.js';
import type { CommitInput, ImageRecord, ImageService, ImageServiceOptions, ImportOptions, InUseLookup, ListOptions, RemoveOptions } from './types.js';
import { unpackLayer } from './unpack.js';
import { commitStagedLayers, layerPresent, stageLayer, type StageLayerInput, type StagedLayer } from './staged.js';
import { createdTime, toInspect, toRecord, toSummary } from './views.js';
import { newLayer, type BuiltLayer, type NewLayerOptions } from './build-layer.js';
import { recordImage } from './record.js';
import type { OciDescriptor, OciImageConfigFile } from '../spec/oci-image.js';
import { notFound } from '../util/errors.js';

const LIST_FILTERS = ['dangling', 'label', 'reference', 'before', 'since', 'until'];

export async function openImageService(opts: ImageServiceOptions): Promise<ImageService> {
  const root = opts.dataRoot;
  const content = await openContentStore(root);
  const layoutFile = join(root, 'oci-layout');
  await access(layoutFile).catch(() => writeJsonAtomic(layoutFile, { imageLayoutVersion: OCI_LAYOUT_VERSION }));
  const layers = new LayerStore(root);
  await layers.init();
  const catalog = await loadCatalog(root, content);
  // Write the index once so a fresh root is a complete image layout.
  await saveCatalog(root, catalog);
  return new LocalImageService(root, content, layers, catalog);
}

class LocalImageService implements ImageService {
  private readonly mutex = new AsyncMutex();

  constructor(
    private readonly root: string,
    readonly content: ContentStore,
    private readonly layers: LayerStore,
    private catalog: Catalog,
  ) {}

  async resolve(nameOrId: string): Promise<ImageRecord> {
    return toRecord(findImage(this.catalog, nameOrId), this.layers);
  }

  async inspect(nameOrId: string): Promise<ImageInspect> {
    const img = findImage(this.catalog, nameOrId);
    return toInspect(img, toRecord(img, this.layers), this.layers);
  }

  async list(opts: ListOptions = {}): Promise<ImageSummary[]> {
    const filters = opts.filters ?? {};
    checkFilterKeys(filters, LIST_FILTERS);
    const dangling = danglingFilter(filters);
    const timeOf = (v: string) => createdTime(toRecord(findImage(this.catalog, v), this.layers));
    const before = filters.before?.map(timeOf);
    const since = filters.since?.map(timeOf);
    const until = filters.until?.map((v) => parseTimeFilter(v));
    const found: Array<{ created: number; summary: ImageSummary }> = [];
    for (const img of this.catalog.images.values()) {
      const record = toRecord(img, this.layers);
      const created = createdTime(record);
      if (dangling !== undefined && dangling !== (img.refs.size === 0)) continue;
      if (before && !before.every((t) => created < t)) continue;
      if (since && !since.every((t) => created > t)) continue;
      if (until && !until.every((t) => created < t)) continue;
      if (!matchLabels(filters.label, record.config.config?.Labels)) continue;
      const summary = toSummary(record);
      if (filters.reference?.length) {
        // As dockerd: keep the image if any name matches, and show only the names that match.
        const tags = summary.RepoTags.filter((t) => matchReference(filters.reference, [t]));
        const digests = summary.RepoDigests.filter((d) => matchReference(filters.reference, [d]));
        if (tags.length === 0 && digests.length === 0) continue;
        summary.RepoTags = tags;
        summary.RepoDigests = digests;
      }
      found.push({ created, summary });
    }
    found.sort((a, b) => b.created - a.created || (a.summary.Id < b.summary.Id ? -1 : 1));
    return found.map((f) => f.summary);
  }

  async importTarball(input: NodeJS.ReadableStream, opts: ImportOptions = {}): Promise<ImageRecord> {
    const deps = { content: this.content, layers: this.layers, mutate: <T>(fn: (cat: Catalog) => Promise<T>) => this.mutate(fn) };
    const id = await importTarball(deps, input, opts);
    const img = this.catalog.images.get(id);
    if (!img) throw internal(`imported image ${id} vanished`);
    return toRecord(img, this.layers);
  }

  async addStored(input: AddStoredInput): Promise<ImageRecord> {
    const id = await addStoredImage(
      {
        content: this.content,
        layers: this.layers,
        unpack: (img, i, chains) => this.unpackMissing(img, i, chains),
        mutate: <T>(fn: (cat: Catalog) => Promise<T>) => this.mutate(fn),
      },
      input,
    );
    const img = this.catalog.images.get(id);
    if (!img) throw internal(`added image ${id} vanished`);
    return toRecord(img, this.layers);
  }

  async tagsOf(repository: string): Promise<string[]> {
    const ref = parseReference(repository);
    if (ref.tag !== undefined || ref.digest !== undefined) throw invalidArgument(`not a repository name: ${repository}`);
    const prefix = `${repositoryName(ref)}:`;
    return [...this.catalog.byRef.keys()].filter((r) => r.startsWith(prefix) && !r.includes('@')).map((r) => r.slice(prefix.length)).sort();
  }

  async addDigestReference(reference: string, id: ImageId): Promise<void> {
    const ref = parseReference(reference);
    if (ref.digest === undefined || ref.tag !== undefined) throw invalidArgument(`not a digest reference: ${reference}`);
    await this.mutate(async (cat) => {
      if (!cat.images.has(id)) throw noSuchImage(id);
      cat.setRef(referenceString(ref), id, new Date().toISOString());
    });
  }

  layerPresent(diffIds: readonly Digest[], index: number): Promise<boolean> {
    return layerPresent(this.layers, diffIds, index);
  }

  stageLayer(input: StageLayerInput): Promise<StagedLayer> {
    return stageLayer(this.layers, input);
  }

  commitStagedLayers(staged: readonly StagedLayer[]): Promise<void> {
    return commitStagedLayers(this.layers, staged, (fn) => this.mutex.run(fn));
  }

  async commit(o: CommitInput): Promise<ImageRecord> {
    const parent = this.catalog.images.get(o.parentId as ImageId);
    if (!parent) throw noSuchImage(o.parentId);
    const deps = { content: this.content, layers: this.layers, mutate: <T>(fn: (cat: Catalog) => Promise<T>) => this.mutate(fn) };
    const id = await commitContainer(deps, { ...o, parent });
    const img = this.catalog.images.get(id);
    if (!img) throw internal(`committed image ${id} vanished`);
    return toRecord(img, this.layers);
  }

  save(names: string[], out: NodeJS.WritableStream): Promise<void> {
    return saveImages({ content: this.content, find: (name) => findImage(this.catalog, name) }, names, out as import('node:stream').Writable);
  }

  load(input: AsyncIterable<Buffer | string>, report: (line: string) => void): Promise<void> {
    return loadImages({ content: this.content, addStored: (i) => this.addStored(i) }, input, report);
  }

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    const parsed = parseReference(repo);
    if (parsed.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
    if (tag !== undefined && tag !== '' && !isValidTag(tag)) throw invalidArgument(`invalid tag format: ${tag}`);
    const ref = referenceString(withDefaultTag(tag ? { domain: parsed.domain, path: parsed.path, tag } : parsed));
    await this.mutate(async (cat) => {
      cat.setRef(ref, findImage(cat, source).id, new Date().toISOString());
    });
  }

  async remove(nameOrId: string, opts: RemoveOptions, inUse: InUseLookup): Promise<ImageDeleteItem[]> {
    const removal = await this.mutateAndCollect(
      (cat) => removeImage(cat, findImage(cat, nameOrId), nameOrId, opts, inUse),
      !opts.noprune,
    );
    return removal.records;
  }

  async prune(opts: { all?: boolean; filters?: Record<string, string[]> }, inUse: InUseLookup): Promise<ImagePruneReport> {
    const removal = await this.mutateAndCollect((cat) => pruneImages(cat, opts.all ?? false, opts.filters ?? {}, inUse), true);
    return { ImagesDeleted: removal.records.length > 0 ? removal.records : null, SpaceReclaimed: removal.reclaimed };
  }

  async layerDirs(id: ImageId): Promise<string[]> {
    const img = this.catalog.images.get(id);
    if (!img) throw noSuchImage(id);
    const chains = chainIdsOf(img.config.rootfs.diff_ids);
    for (let i = 0; i < chains.length; i++) {
      if (!(await this.layers.present(chains[i]))) await this.unpackMissing(img, i, chains);
    }
    return chains.map((c) => this.layers.diffDir(c)).reverse();
  }

  async layerSizes(nameOrId: string): Promise<number[]> {
    const img = findImage(this.catalog, nameOrId);
    return chainIdsOf(img.config.rootfs.diff_ids).map((c, i) => this.layers.get(c)?.size ?? img.manifest.layers[i]?.size ?? 0);
  }

  newLayer(o: NewLayerOptions): Promise<BuiltLayer> {
    return newLayer({ content: this.content, layers: this.layers }, o);
  }

  chainDirs(chainIds: readonly ChainId[]): string[] {
    for (const c of chainIds) if (!this.layers.has(c)) throw notFound(`layer ${c} is not stored`);
    return chainIds.map((c) => this.layers.diffDir(c)).reverse();
  }

  async chainPresent(layers: ReadonlyArray<{ chainId: ChainId; descriptor: OciDescriptor }>): Promise<boolean> {
    for (const l of layers) {
      if (!(await this.layers.present(l.chainId)) || !(await this.content.hasBlob(l.descriptor.digest))) return false;
    }
    return true;
  }

  async recordBuilt(o: { config: OciImageConfigFile; layers: OciDescriptor[]; references: string[] }): Promise<ImageRecord> {
    const refs = o.references.map((r) => referenceString(withDefaultTag(parseReference(r))));
    // A rebuild that changed nothing: the image exists and the tags name it already.
    const same = [...this.catalog.images.values()].find((i) => i.manifest.config.digest === sha256Digest(JSON.stringify(o.config)));
    if (same && refs.every((r) => this.catalog.byRef.get(r) === same.id)) return toRecord(same, this.layers);
    const at = new Date().toISOString();
    const id = await this.mutate(async (cat) => {
      const id = await recordImage(this.content, cat, { config: o.config, layers: o.layers, created: at });
      for (const ref of refs) cat.setRef(ref, id, at);
      return id;
    });
    const img = this.catalog.images.get(id);
    if (!img) throw internal(`built image ${id} vanished`);
    return toRecord(img, this.layers);
  }

  async dropUnusedLayers(layers: ReadonlyArray<{ chainId: ChainId; descriptor: OciDescriptor }>): Promise<number> {
    return this.mutex.run(async () => {
      const liveChains = new Set<ChainId>();
      const liveBlobs = new Set<Digest>();
      for (const img of this.catalog.images.values()) {
        for (const c of chainIdsOf(img.config.rootfs.diff_ids)) liveChains.add(c);
        for (const l of img.manifest.layers) liveBlobs.add(l.digest);
      }
      let freed = 0;
      for (const l of layers) {
        if (!liveBlobs.has(l.descriptor.digest)) await this.content.deleteBlob(l.descriptor.digest);
        if (!liveChains.has(l.chainId) && this.layers.has(l.chainId)) freed += await this.layers.remove(l.chainId);
      }
      return freed;
    });
  }

  /** Unpacks layer `i` of `img` from its blob, checking it against the config's diffID. */
  private async unpackMissing(img: CatalogImage, i: number, chains: ChainId[]): Promise<void> {
    const desc = img.manifest.layers[i];
    const diffId = img.config.rootfs.diff_ids[i];
    if (!desc) throw internal(`image ${img.id} has no layer blob for diffID ${diffId}`);
    const staging = await this.layers.stage();
    try {
      const result = await unpackLayer(await this.content.openBlob(desc.digest), staging.diffDir);
      if (result.diffId !== diffId) throw internal(`layer ${desc.digest} unpacks to ${result.diffId}, but the image expects ${diffId}`);
      await this.mutex.run(async () => {
        if (this.layers.has(chains[i])) await this.layers.remove(chains[i]); // metadata without files: replace
        await staging.commit({ chainId: chains[i], diffId, parent: i > 0 ? chains[i - 1] : null, size: result.size });
      });
    } finally {
      await staging.discard();
    }
  }

  /** Runs `fn` on a catalog clone under the lock, persists it, then swaps it in. */
  private mutate<T>(fn: (cat: Catalog) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      const next = this.catalog.clone();
      const result = await fn(next);
      await saveCatalog(this.root, next);
      this.catalog = next;
      return result;
    });
  }

  /**
   * Applies a removal, then (still under the lock) deletes the blobs of the
   * removed images that no remaining image references and, with `pruneLayers`,
   * their layers too. Deleted layers are reported as Docker does.
   */
  private async mutateAndCollect(fn: (cat: Catalog) => Removal, pruneLayers: boolean): Promise<Removal & { reclaimed: number }> {
    return this.mutex.run(async () => {
      const next = this.catalog.clone();
      const removal = fn(next);
      if (removal.records.length === 0) return { ...removal, reclaimed: 0 };
      await saveCatalog(this.root, next);
      this.catalog = next;
      const liveChains = new Set<ChainId>();
      const liveBlobs = new Set<Digest>();
      for (const img of next.images.values()) {
        for (const c of chainIdsOf(img.config.rootfs.diff_ids)) liveChains.add(c);
        for (const d of [img.manifestDigest, img.manifest.config.digest, ...img.manifest.layers.map((l) => l.digest)]) liveBlobs.add(d);
      }
      let reclaimed = 0;
      const records = [...removal.records];
      for (const img of removal.deleted) {
        for (const d of [img.manifestDigest, img.manifest.config.digest]) if (!liveBlobs.has(d)) await this.content.deleteBlob(d);
        if (!pruneLayers) continue;
        for (const layer of img.manifest.layers) {
          if (!liveBlobs.has(layer.digest)) await this.content.deleteBlob(layer.digest);
        }
        for (const chain of chainIdsOf(img.config.rootfs.diff_ids).reverse()) {
          if (liveChains.has(chain) || !this.layers.has(chain)) continue;
          reclaimed += await this.layers.remove(chain);
          records.push({ Deleted: chain });
        }
      }
      return { ...removal, records, reclaimed };
    });
  }
}

/**
 * The image service's public contract: what engine/ and api/ call. Shapes of API
 * responses live in spec/docker-image.ts; this file holds the service-level types.
 */
import type { Digest, ImageId } from '../spec/ids.js';
import type { ImageDeleteItem, ImageInspect, ImagePruneReport, ImageSummary } from '../spec/docker-image.js';
import type { OciImageConfig, OciImageConfigFile } from '../spec/oci-image.js';
import type { AddStoredInput } from './ingest.js';
import type { StageLayerInput, StagedLayer } from './staged.js';
import type { BuiltLayer, NewLayerOptions } from './build-layer.js';
import type { OciDescriptor } from '../spec/oci-image.js';
import type { ChainId } from '../spec/ids.js';
import type { ContentStore } from '../store/index.js';

export interface ImageServiceOptions {
  /** The daemon's data root; it becomes an OCI image layout. */
  dataRoot: string;
}

export interface ImageRecord {
  /** The config digest. */
  id: ImageId;
  config: OciImageConfigFile;
  /** Familiar tagged names: "busybox:latest", "localhost:5000/x:1". */
  repoTags: string[];
  /** Familiar digested names: "busybox@sha256:…". */
  repoDigests: string[];
  manifestDigest: Digest;
  /** Sum of the unpacked layer sizes. */
  size: number;
  /** RFC 3339 creation time from the config ('' when the config has none). */
  created: string;
}

/** A container that uses an image, as reported by the container service. */
export interface InUse {
  containerId: string;
  running: boolean;
}

/**
 * Tells whether any container uses image `id`. When several do, it must report
 * a running one if there is one: that decides whether a removal can be forced.
 */
export type InUseLookup = (id: ImageId) => InUse | undefined;

export interface ListOptions {
  /** Accepted for the API; images here have no intermediate parents to hide, so it changes nothing. */
  all?: boolean;
  filters?: Record<string, string[]>;
}

export interface ImportOptions {
  /** Tag the new image with this reference (taken from any image it named before). */
  reference?: string;
  /** Dockerfile instructions applied to the config (`docker import --change`). */
  changes?: string[];
  /** Commit message; default "Imported from <source>". */
  message?: string;
  /** Where the tarball came from (a URL or "-"), for the default message. */
  source?: string;
}

export interface CommitInput {
  /** The container's overlay upper dir. */
  upperDir: string;
  /** The container's image. */
  parentId: string;
  reference?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  /** The container's mount destinations, left out of the layer when empty. */
  mountPoints?: string[];
  /** The execution config to start from (the container's); default the parent image's. */
  config?: OciImageConfig;
}

export interface RemoveOptions {
  force?: boolean;
  /** Keep layers (directories and blobs) that no image uses any more. */
  noprune?: boolean;
}

export interface ImageService {
  /** The content store under the data root (blobs for pull, push, save and load). */
  readonly content: ContentStore;
  /**
   * Finds an image by reference (`busybox`, `busybox:latest`,
   * `docker.io/library/busybox:latest`, `name@sha256:…`), full ID
   * (`sha256:<hex>` or bare hex) or unique ID prefix. Unknown: NotFound
   * "No such image: <input>"; malformed reference: InvalidArgument.
   */
  resolve(nameOrId: string): Promise<ImageRecord>;
  /** `GET /images/json`, newest first. */
  list(opts?: ListOptions): Promise<ImageSummary[]>;
  /** `GET /images/{name}/json`. */
  inspect(nameOrId: string): Promise<ImageInspect>;
  /**
   * `docker import`: a plain or gzip tar becomes a one-layer image. The whole
   * archive is validated before anything becomes visible: a bad or hostile
   * tarball raises InvalidArgument and leaves no blob, layer or tag behind.
   */
  importTarball(input: NodeJS.ReadableStream, opts?: ImportOptions): Promise<ImageRecord>;
  /**
   * Adds an image whose manifest, config and layer blobs are already in the
   * content store (pull, load): unpacks missing layers, then records the image
   * and sets `references`. Nothing is visible until every layer is unpacked.
   */
  addStored(input: AddStoredInput): Promise<ImageRecord>;
  /** The local tags of repository `repository` (`127.0.0.1:5000/x`, `busybox`), sorted. */
  tagsOf(repository: string): Promise<string[]>;
  /** Names image `id` by a digest reference (`repo@sha256:…`), as a push does: it shows in RepoDigests. */
  addDigestReference(reference: string, id: ImageId): Promise<void>;
  /** True when layer `index` of an image with these diffIDs is unpacked already. */
  layerPresent(diffIds: readonly Digest[], index: number): Promise<boolean>;
  /**
   * Pull: unpacks a layer from its blob's bytes as they arrive into a hidden
   * staging directory, checked against its diffID. Nothing is visible until
   * `commitStagedLayers`; `discard` drops it.
   */
  stageLayer(input: StageLayerInput): Promise<StagedLayer>;
  /** Makes staged layers visible: one filesystem flush for the batch, then a rename each. */
  commitStagedLayers(staged: readonly StagedLayer[]): Promise<void>;
  /** `POST /commit`: the container's upper dir becomes a new layer on its image. */
  commit(o: CommitInput): Promise<ImageRecord>;
  /** `docker save`: a docker-archive + OCI-layout tarball of the named images; unknown names fail before any byte. */
  save(names: string[], out: NodeJS.WritableStream): Promise<void>;
  /** `docker load`: a docker-archive or OCI-layout tarball, plain or gzip; `report` gets "Loaded image: x". */
  load(input: AsyncIterable<Buffer | string>, report: (line: string) => void): Promise<void>;
  /** `POST /images/{name}/tag`; `tag` defaults to the one in `repo`, else "latest". */
  tag(source: string, repo: string, tag?: string): Promise<void>;
  /** `DELETE /images/{name}` with docker rmi semantics. */
  remove(nameOrId: string, opts: RemoveOptions, inUse: InUseLookup): Promise<ImageDeleteItem[]>;
  /** `POST /images/prune`: dangling images only unless `all`; filters `until`, `label`, `label!`. */
  prune(opts: { all?: boolean; filters?: Record<string, string[]> }, inUse: InUseLookup): Promise<ImagePruneReport>;
  /** The image's layer diff directories, topmost first, unpacking any that are missing. */
  layerDirs(id: ImageId): Promise<string[]>;
  /** Each layer's size, bottom first: unpacked content bytes, or the blob's size for a layer not unpacked. */
  layerSizes(nameOrId: string): Promise<number[]>;

  // ---- for the builder --------------------------------------------------------
  /** A new layer filled in place (see build-layer.ts); committed to the layer store and the content store. */
  newLayer(o: NewLayerOptions): Promise<BuiltLayer>;
  /** Diff directories of a chain of layers (bottom first in, topmost first out); NotFound when one is not stored. */
  chainDirs(chainIds: readonly ChainId[]): string[];
  /** True when every layer of the chain is stored, unpacked and with its blob. */
  chainPresent(layers: ReadonlyArray<{ chainId: ChainId; descriptor: OciDescriptor }>): Promise<boolean>;
  /**
   * Records an image whose layers are all stored (a build's result) and points
   * `references` at it, in one catalog change.
   */
  recordBuilt(o: { config: OciImageConfigFile; layers: OciDescriptor[]; references: string[] }): Promise<ImageRecord>;
  /** Deletes the given layers (and their blobs) that no image uses; returns the bytes freed. */
  dropUnusedLayers(layers: ReadonlyArray<{ chainId: ChainId; descriptor: OciDescriptor }>): Promise<number>;
}

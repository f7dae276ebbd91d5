/**
 * What distribution/ needs from the rest of the daemon and what it offers. The
 * image service is not imported: engine/ passes these small interfaces in.
 */
import type { Digest } from '../spec/ids.js';

/** One line of Docker's JSON progress stream (pull, push, load). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (msg: JsonMessage) => void;

/** Credentials for one registry, as X-Registry-Auth or config.json carry them. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker's `identitytoken`). */
  identitytoken?: string;
  /** A bearer token given directly (docker's `registrytoken`). */
  registrytoken?: string;
}

/** A platform to pick from a manifest list: `linux/amd64`, `linux/arm64/v8`. */
export interface PlatformWanted {
  os: string;
  architecture: string;
  variant?: string;
}

/**
 * The image store as pull sees it. `addPulled` is called once every blob the
 * manifest names is committed to the content store; it unpacks the layers that
 * are missing and only then makes the image and its references visible.
 */
export interface PullSink {
  /** The image ID (config digest) a full reference names now, if any. */
  currentId(reference: string): Promise<string | undefined>;
  /** True when layer `index` of an image with these diffIDs is unpacked already. */
  layerPresent(diffIds: readonly Digest[], index: number): Promise<boolean>;
  /**
   * Unpacks layer `index` from its blob's bytes while they arrive, into a hidden
   * staging area; rejects when the tar is hostile or its sha256 is not the diffID.
   */
  stageLayer(input: { diffIds: readonly Digest[]; index: number; stream: AsyncIterable<Buffer> }): Promise<StagedLayer>;
  /** Makes staged layers visible (one filesystem flush for all). Called only after their blobs verified. */
  commitLayers(staged: readonly StagedLayer[]): Promise<void>;
  addPulled(input: {
    manifestDigest: Digest;
    /** Full references to set: `host/repo:tag`, `host/repo@sha256:…`. */
    references: string[];
    /** Called as layer `index` (bottom first) starts and ends unpacking. */
    onExtract?: (index: number, phase: 'start' | 'done') => void;
  }): Promise<{ id: string }>;
}

/** A layer unpacked from a pulled blob, verified, not yet visible (see PullSink). */
export interface StagedLayer {
  discard(): Promise<void>;
}

/** The image store as push sees it: which manifest a local name stands for. */
export interface PushSource {
  resolve(reference: string): Promise<{ id: string; manifestDigest: Digest }>;
  /** The local tags of a full repository name (`127.0.0.1:5000/x`), sorted. */
  tags(repository: string): Promise<string[]>;
  /** Records `repo@digest` (the pushed manifest) as a name of image `id`. */
  recordPushed(digestReference: string, id: string): Promise<void>;
}

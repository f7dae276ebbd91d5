/**
 * distribution/: the registry client — pull, push and login against registries
 * speaking the distribution spec. The folder's only entrance.
 */
export { pullAllTags, pullImage, parsePlatform, type PullDeps, type PullOptions } from './pull.js';
export { pushAllTags, pushImage, type PushDeps, type PushOptions } from './push.js';
export { BlobSources } from './blob-sources.js';
export { checkLogin, decodeRegistryAuth, registryDomain } from './credentials.js';
export type { JsonMessage, ProgressSink, PullSink, PushSource, RegistryCredentials } from './types.js';
export { RegistryHosts, type RegistryHostsOptions } from './registry-hosts.js';
export { inspectDistribution, type DistributionInspect } from './inspect.js';

export { NetworkService, type NetworkServiceOptions } from './service.js';
export type { EndpointRecord, JoinRequest } from './attach.js';
export type { NetworkRecord, DefaultBridge } from './store.js';
export { portRequests, portMap, type PublishedPort, type PortRequest } from './ports.js';
export type { NetworkCreateBody } from './manage.js';

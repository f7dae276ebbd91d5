export { ContainerService } from './service.js';
export type { ContainerEvent, ContainerServiceOptions, WaitCondition } from './service.js';
export type { ContainerImages, ContainerRuntime, LogRecord } from './ports.js';
export type { ContainerRecord } from './record.js';
export { parseSignal } from './signals.js';

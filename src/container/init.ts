import { access, constants } from 'node:fs/promises';
import type { HostConfig } from '../spec/docker-container.js';
import { invalidArgument } from '../util/errors.js';
import type { SpecInput } from './ports.js';

/** Where the init is mounted inside the container, as docker does. */
export const INIT_IN_CONTAINER = '/sbin/docker-init';
/** Debian's static tini: runs in any image, whatever its libc. */
export const DEFAULT_INIT_BINARY = '/usr/bin/tini-static';

export interface InitOptions {
  /** berthd --init: containers whose HostConfig.Init is unset get the init. */
  byDefault?: boolean;
  /** The init binary on the host (berthd --init-path). */
  binary?: string;
}

/** HostConfig.Init when set (true or false), else the daemon's default. */
export function wantsInit(hc: HostConfig, o: InitOptions | undefined): boolean {
  return typeof hc.Init === 'boolean' ? hc.Init : o?.byDefault === true;
}

/**
 * Runs the container's command under the init as PID 1, as docker's --init:
 * the binary is bind-mounted read-only at /sbin/docker-init and the command
 * becomes `/sbin/docker-init -- CMD...`. The init reaps orphaned zombies and
 * passes signals on to the command; its exit code is the command's.
 */
export async function applyInit(input: SpecInput, o: InitOptions | undefined): Promise<void> {
  const binary = o?.binary || DEFAULT_INIT_BINARY;
  const found = await access(binary, constants.X_OK).then(() => true, () => false);
  if (!found) throw invalidArgument(`the init binary ${binary} is missing: install Debian's tini (or start berthd with --init-path)`);
  input.process.args = [INIT_IN_CONTAINER, '--', ...input.process.args];
  input.mounts.push({ destination: INIT_IN_CONTAINER, type: 'bind', source: binary, options: ['rbind', 'ro', 'rprivate'] });
}

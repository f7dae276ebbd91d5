/**
 * Parsing of the ways a create request asks for mounts (HostConfig.Binds,
 * HostConfig.Mounts, HostConfig.Tmpfs), into one shape, with moby's
 * validation and wording. Pure: nothing here touches the disk.
 */
import { posix } from 'node:path';
import { invalidArgument } from '../util/errors.js';

export type MountType = 'volume' | 'bind' | 'tmpfs';

/** One requested mount, before volumes are created or sources checked. */
export interface MountRequest {
  type: MountType;
  /** Volume name ('' for an anonymous volume), host path for a bind, '' for tmpfs. */
  source: string;
  destination: string;
  readOnly: boolean;
  /** The mode string as `-v` gave it ("ro", "z", ...); '' for --mount. */
  mode: string;
  propagation: string;
  /** Copy the image's content at the destination into a new, empty volume. */
  copyData: boolean;
  /** `-v` creates a missing bind source; `--mount` refuses it. */
  createSource: boolean;
  /** tmpfs mount options (size=..., mode=...). */
  tmpfsOptions: string[];
  volumeLabels?: Record<string, string>;
  volumeDriverOpts?: Record<string, string>;
  /** HostConfig.Tmpfs mounts are not listed in inspect's Mounts. */
  listed: boolean;
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const MODES = new Set(['rw', 'ro', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', ...PROPAGATIONS]);

/** A clean absolute host path without a trailing slash. */
const cleanPath = (p: string): string => posix.normalize(p).replace(/(.)\/+$/, '$1');

function invalidSpec(raw: string, why?: string): Error {
  return invalidArgument(`invalid volume specification: '${raw}'${why ? `: ${why}` : ''}`);
}

function checkDestination(type: MountType, dest: string): string {
  if (!dest.startsWith('/')) {
    throw invalidArgument(`invalid mount config for type "${type}": invalid mount path: '${dest}' mount path must be absolute`);
  }
  if (posix.normalize(dest) === '/') throw invalidArgument(`invalid mount config for type "${type}": invalid specification: destination can't be '/'`);
  return posix.normalize(dest).replace(/\/$/, '');
}

/** `-v [SOURCE:]DEST[:MODE]` as moby's linux parser reads it. */
export function parseBind(raw: string): MountRequest {
  const parts = raw.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw invalidSpec(raw);
  let source = '';
  let dest: string;
  let mode = '';
  if (parts.length === 1) [dest] = parts;
  else if (parts.length === 2) {
    // "/dest:rw" names no source: a volume cannot carry a mode without one.
    if (parts[1].split(',').every((f) => MODES.has(f))) throw invalidSpec(raw);
    [source, dest] = parts;
  } else [source, dest, mode] = parts;
  const type: MountType = source.startsWith('/') ? 'bind' : 'volume';
  if (!dest.startsWith('/')) throw invalidSpec(raw, `invalid mount config for type "${type}": invalid mount path: '${dest}' mount path must be absolute`);
  const flags = mode === '' ? [] : mode.split(',');
  for (const f of flags) if (!MODES.has(f)) throw invalidSpec(raw, `invalid mode: ${mode}`);
  if (flags.includes('ro') && flags.includes('rw')) throw invalidSpec(raw, `invalid mode: ${mode}`);
  const propagation = flags.find((f) => PROPAGATIONS.has(f));
  if (type === 'volume' && propagation) throw invalidSpec(raw, `invalid mode: ${mode}`);
  return {
    type,
    source: type === 'bind' ? cleanPath(source) : source,
    destination: checkDestination(type, dest),
    readOnly: flags.includes('ro'),
    mode: type === 'volume' && mode === '' ? 'z' : mode,
    propagation: type === 'bind' ? (propagation ?? 'rprivate') : '',
    copyData: type === 'volume' && !flags.includes('nocopy'),
    createSource: true,
    tmpfsOptions: [],
    listed: true,
  };
}

/** The API's HostConfig.Mounts entry (what `--mount` becomes in the docker CLI). */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean; NonRecursive?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

export function parseApiMount(m: ApiMount): MountRequest {
  const type = (m.Type ?? '') as MountType;
  if (!['volume', 'bind', 'tmpfs'].includes(type)) throw invalidArgument(`invalid mount config for type "${m.Type ?? ''}": mount type unknown`);
  const fail = (why: string) => invalidArgument(`invalid mount config for type "${type}": ${why}`);
  if (!m.Target) throw fail('field Target must not be empty');
  const destination = checkDestination(type, m.Target);
  const base = { destination, readOnly: m.ReadOnly === true, mode: '', listed: true, createSource: false, tmpfsOptions: [] as string[] };
  if (type === 'bind') {
    if (!m.Source) throw fail('field Source must not be empty');
    if (!m.Source.startsWith('/')) throw fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
    if (m.VolumeOptions) throw fail('field VolumeOptions must not be specified');
    const propagation = m.BindOptions?.Propagation || 'rprivate';
    if (!PROPAGATIONS.has(propagation)) throw fail(`invalid propagation mode: ${propagation}`);
    return { ...base, type, source: cleanPath(m.Source), propagation, copyData: false, createSource: m.BindOptions?.CreateMountpoint === true };
  }
  if (type === 'volume') {
    if (m.BindOptions) throw fail('field BindOptions must not be specified');
    const driver = m.VolumeOptions?.DriverConfig?.Name;
    if (driver && driver !== 'local') throw invalidArgument(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    return {
      ...base, type, source: m.Source ?? '', propagation: '', copyData: m.VolumeOptions?.NoCopy !== true,
      volumeLabels: m.VolumeOptions?.Labels ?? undefined, volumeDriverOpts: m.VolumeOptions?.DriverConfig?.Options ?? undefined,
    };
  }
  if (m.Source) throw fail('field Source must not be specified');
  const opts: string[] = [];
  if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
  if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
  return { ...base, type, source: '', propagation: '', copyData: false, tmpfsOptions: opts };
}

/** HostConfig.Tmpfs: `{"/run": "size=64m,mode=1777"}`. */
export function parseTmpfs(dest: string, options: string): MountRequest {
  const opts = options === '' ? [] : options.split(',');
  for (const o of opts) {
    const key = o.split('=')[0];
    if (!/^(size|mode|uid|gid|nr_inodes|nr_blocks|ro|rw|exec|noexec|suid|nosuid|dev|nodev|atime|noatime|relatime|strictatime|nodiratime|mpol|tmpcopyup|notmpcopyup)$/.test(key)) {
      throw invalidArgument(`invalid tmpfs option ["${o}"]`);
    }
  }
  return {
    type: 'tmpfs', source: '', destination: checkDestination('tmpfs', dest), readOnly: opts.includes('ro'), mode: '',
    propagation: '', copyData: false, createSource: false, tmpfsOptions: opts.filter((o) => o !== 'ro' && o !== 'rw'), listed: false,
  };
}

/** `--volumes-from CTR[:ro|rw]`. */
export function parseVolumesFrom(raw: string): { container: string; mode: '' | 'ro' | 'rw' } {
  const [container, mode = '', extra] = raw.split(':');
  if (!container || extra !== undefined || !['', 'ro', 'rw'].includes(mode)) throw invalidArgument(`invalid mode for volumes-from: ${raw}`);
  return { container, mode: mode as '' | 'ro' | 'rw' };
}

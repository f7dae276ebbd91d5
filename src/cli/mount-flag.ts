/** docker's `--mount` CSV (cli opts/mount.go) into the API's HostConfig.Mounts entry. */
import { UsageError } from './flags.js';
import { parseBytes } from './commands/create-options.js';

export interface MountSpec {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function bool(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (['1', 'true'].includes(v)) return true;
  if (['0', 'false'].includes(v)) return false;
  throw new UsageError(`invalid value for ${key}: ${value}`);
}

export function parseMountFlag(text: string): MountSpec {
  const m: MountSpec = { Type: 'volume' };
  const volume = () => (m.VolumeOptions ??= {});
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const need = (): string => {
      if (value === undefined) throw new UsageError(`invalid argument "${text}" for "--mount" flag: invalid field '${field}' must be a key=value pair`);
      return value;
    };
    switch (key) {
      case 'type': m.Type = need(); break;
      case 'source': case 'src': m.Source = need(); break;
      case 'target': case 'dst': case 'destination': m.Target = need(); break;
      case 'readonly': case 'ro': m.ReadOnly = bool(key, value); break;
      case 'consistency': m.Consistency = need(); break;
      case 'bind-propagation': (m.BindOptions ??= {}).Propagation = need(); break;
      case 'bind-nonrecursive': (m.BindOptions ??= {}).NonRecursive = bool(key, value); break;
      case 'volume-nocopy': volume().NoCopy = bool(key, value); break;
      case 'volume-driver': (volume().DriverConfig ??= {}).Name = need(); break;
      case 'volume-label': {
        const [k, ...rest] = need().split('=');
        (volume().Labels ??= {})[k] = rest.join('=');
        break;
      }
      case 'volume-opt': {
        const [k, ...rest] = need().split('=');
        ((volume().DriverConfig ??= {}).Options ??= {})[k] = rest.join('=');
        break;
      }
      case 'tmpfs-size': (m.TmpfsOptions ??= {}).SizeBytes = parseBytes('mount', need()); break;
      case 'tmpfs-mode': {
        const mode = Number.parseInt(need(), 8);
        if (Number.isNaN(mode)) throw new UsageError(`invalid argument "${text}" for "--mount" flag: invalid value for tmpfs-mode: ${value}`);
        (m.TmpfsOptions ??= {}).Mode = mode;
        break;
      }
      default:
        throw new UsageError(`invalid argument "${text}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
    }
  }
  return m;
}

/** `--tmpfs /run:size=64m` into HostConfig.Tmpfs. */
export function parseTmpfsFlags(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf(':');
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

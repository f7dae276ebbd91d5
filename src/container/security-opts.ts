import { invalidArgument } from '../util/errors.js';
import { parseSeccompProfile, type ContainerSpecInput } from '../runtime/index.js';

/** What a container's `HostConfig.SecurityOpt` asks of the runtime spec. */
export interface SecurityOptions {
  /** Absent when the container names no profile: the daemon's default applies. */
  seccomp?: ContainerSpecInput['seccomp'];
  noNewPrivileges: boolean;
  unmaskSystemPaths: boolean;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Reads `--security-opt` values as dockerd does: `key=value` (or the legacy
 * `key:value`), plus the bare words `no-new-privileges` and `disable`.
 * `seccomp=` takes `unconfined`, `builtin` or the profile's JSON text (clients
 * read the file and send its content). `apparmor` and `label` are accepted and
 * have no effect: this engine applies neither AppArmor nor SELinux labels.
 * Throws InvalidArgument with dockerd's wording for anything else.
 */
export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, unmaskSystemPaths: false };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue; }
    if (opt === 'disable') continue;
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const key = opt.slice(0, opt.indexOf(sep));
    const value = opt.slice(opt.indexOf(sep) + 1);
    switch (key) {
      case 'label':
      case 'apparmor':
        break;
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = 'unconfined';
        else if (value === '' || value === 'builtin') out.seccomp = 'builtin';
        else out.seccomp = { profile: parseSeccompProfile(value) };
        break;
      case 'no-new-privileges':
        if (TRUE_WORDS.has(value)) out.noNewPrivileges = true;
        else if (FALSE_WORDS.has(value)) out.noNewPrivileges = false;
        else throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.unmaskSystemPaths = true;
        break;
      default:
        throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

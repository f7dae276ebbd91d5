import { arch as nodeArch, release } from 'node:os';
import { invalidArgument, messageOf } from '../util/errors.js';
import type { OciSeccomp, OciSyscallRule } from '../spec/oci-runtime.js';

/** Conditions on a rule in Docker's profile format. */
export interface SeccompFilter {
  /** Go architecture names: amd64, x86, x32, arm, arm64, s390, s390x, riscv64, ... */
  arches?: string[];
  caps?: string[];
  /** "major.minor": the rule applies on this kernel version or newer. */
  minKernel?: string;
}

/**
 * A seccomp profile in Docker's format (what `--security-opt seccomp=FILE`
 * takes): the OCI shape plus per-rule includes/excludes and an architecture map.
 */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] | null }>;
  flags?: string[];
  syscalls: Array<{
    names?: string[];
    /** Older profiles name one call per rule. */
    name?: string;
    action: string;
    errnoRet?: number;
    args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
    comment?: string;
    includes?: SeccompFilter;
    excludes?: SeccompFilter;
  }>;
}

/** What decides which conditional rules apply to one container. */
export interface SeccompTarget {
  /** The container's capabilities, CAP_ names. */
  caps: readonly string[];
  /** Go architecture name of the host; defaults to this machine's. */
  arch?: string;
  /** Kernel release like "6.1.0-13-amd64"; defaults to this machine's. */
  kernel?: string;
}

const ACTIONS = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPERATORS = new Set([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: 'x86', arm: 'arm', arm64: 'arm64', s390x: 's390x', riscv64: 'riscv64', ppc64: 'ppc64le' };
/** The libseccomp name of each Go architecture, for the native entry of an archMap. */
const SCMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', x86: 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
  s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', ppc64le: 'SCMP_ARCH_PPC64LE',
};

const hostArch = (): string => GO_ARCH[nodeArch()] ?? nodeArch();

/** [major, minor] of a kernel release string; unparsable parts count as 0. */
function kernelVersion(text: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function atLeast(kernel: string, min: string): boolean {
  const [a, b] = kernelVersion(kernel);
  const [x, y] = kernelVersion(min);
  return a > x || (a === x && b >= y);
}

/** True when every condition of the filter holds (an empty filter holds). */
function holds(filter: SeccompFilter, t: Required<SeccompTarget>): boolean {
  if (filter.arches?.length && !filter.arches.includes(t.arch)) return false;
  if (filter.caps?.length && !filter.caps.every((c) => t.caps.includes(c))) return false;
  if (filter.minKernel && !atLeast(t.kernel, filter.minKernel)) return false;
  return true;
}

/** True when any condition of an excludes filter matches. */
function excluded(filter: SeccompFilter | undefined, t: Required<SeccompTarget>): boolean {
  if (!filter) return false;
  if (filter.arches?.some((a) => a === t.arch)) return true;
  if (filter.caps?.some((c) => t.caps.includes(c))) return true;
  if (filter.minKernel && atLeast(t.kernel, filter.minKernel)) return true;
  return false;
}

/**
 * The OCI filter a profile gives one container: the rules whose includes hold
 * and whose excludes do not, and the architectures of the host's entry in the
 * profile's archMap (or the profile's own list).
 */
export function seccompForContainer(profile: SeccompProfile, target: SeccompTarget): OciSeccomp {
  const t: Required<SeccompTarget> = { caps: target.caps, arch: target.arch ?? hostArch(), kernel: target.kernel ?? release() };
  let architectures = profile.architectures ?? [];
  const native = SCMP_ARCH[t.arch];
  const entry = profile.archMap?.find((a) => a.architecture === native);
  if (entry) architectures = [entry.architecture, ...entry.subArchitectures ?? []];
  const syscalls: OciSyscallRule[] = [];
  for (const rule of profile.syscalls) {
    if (rule.includes && !holds(rule.includes, t)) continue;
    if (excluded(rule.excludes, t)) continue;
    const names = rule.names?.length ? rule.names : rule.name ? [rule.name] : [];
    syscalls.push({
      names: [...names],
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args?.length ? { args: rule.args.map((a) => ({ ...a, valueTwo: a.valueTwo ?? 0 })) } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures.length ? { architectures } : {}),
    ...(profile.flags?.length ? { flags: [...profile.flags] } : {}),
    syscalls,
  };
}

/**
 * Reads a user's profile (the JSON text the client sent) and checks it as far
 * as a runtime would, so a bad profile fails at create with a message naming
 * the problem rather than at start with the runtime's.
 */
export function parseSeccompProfile(text: string): SeccompProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`Decoding seccomp profile failed: ${messageOf(err)}`);
  }
  const fail = (what: string): never => { throw invalidArgument(`Decoding seccomp profile failed: ${what}`); };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('the profile must be a JSON object');
  const p = value as Partial<SeccompProfile>;
  if (typeof p.defaultAction !== 'string' || !ACTIONS.has(p.defaultAction)) fail(`unknown defaultAction ${JSON.stringify(p.defaultAction)}`);
  if (p.architectures !== undefined && p.archMap !== undefined && p.architectures.length && p.archMap.length) {
    fail("'architectures' and 'archMap' cannot both be given");
  }
  const rules = p.syscalls ?? [];
  if (!Array.isArray(rules)) fail("'syscalls' must be a list");
  rules.forEach((r, i) => {
    const where = `syscalls[${i}]`;
    if (typeof r !== 'object' || r === null) fail(`${where} must be an object`);
    if (!r.names?.length && !r.name) fail(`${where} names no system call`);
    if (r.names?.length && r.name) fail(`${where} has both 'name' and 'names'`);
    if (typeof r.action !== 'string' || !ACTIONS.has(r.action)) fail(`${where} has an unknown action ${JSON.stringify(r.action)}`);
    for (const a of r.args ?? []) {
      if (!OPERATORS.has(a.op)) fail(`${where} has an unknown operator ${JSON.stringify(a.op)}`);
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) fail(`${where} has an argument index out of range`);
    }
  });
  return { ...p, syscalls: rules } as SeccompProfile;
}

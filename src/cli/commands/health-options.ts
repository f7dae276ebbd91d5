import type { FlagSpec, ParsedFlags } from '../flags.js';
import { UsageError } from '../flags.js';
import type { HealthConfig } from '../../spec/docker-container.js';

/** run/create's healthcheck flags, with docker's names and help texts. */
export const HEALTH_FLAGS: FlagSpec[] = [
  { name: 'health-cmd', description: 'Command to run to check health', valueName: 'string' },
  { name: 'health-interval', type: 'duration', default: '0s', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-retries', type: 'int', description: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-interval', type: 'duration', default: '0s', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { name: 'health-start-period', type: 'duration', default: '0s', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', type: 'duration', default: '0s', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
];

/**
 * The create body's Config.Healthcheck from the flags, as docker's CLI builds
 * it: `--no-healthcheck` gives ["NONE"]; any --health-* flag gives a config
 * (Test ["CMD-SHELL", cmd] with --health-cmd, else empty to keep the image's
 * command); none gives undefined (the image's healthcheck applies).
 */
export function healthcheckFromFlags(flags: ParsedFlags): HealthConfig | undefined {
  const cmd = flags.string('health-cmd');
  const interval = flags.duration('health-interval');
  const timeout = flags.duration('health-timeout');
  const startPeriod = flags.duration('health-start-period');
  const startInterval = flags.duration('health-start-interval');
  const retries = flags.int('health-retries');
  const any = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || startInterval !== 0 || retries !== 0;
  if (flags.bool('no-healthcheck')) {
    if (any) throw new UsageError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  const negative: Array<[string, number]> = [
    ['health-interval', interval], ['health-timeout', timeout], ['health-retries', retries],
    ['health-start-period', startPeriod], ['health-start-interval', startInterval],
  ];
  for (const [name, value] of negative) if (value < 0) throw new UsageError(`--${name} cannot be negative`);
  return {
    Test: cmd !== '' ? ['CMD-SHELL', cmd] : [],
    Interval: interval,
    Timeout: timeout,
    StartPeriod: startPeriod,
    StartInterval: startInterval,
    Retries: retries,
  };
}

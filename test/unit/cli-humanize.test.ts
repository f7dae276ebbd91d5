import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  bytesSize,
  containerStatus,
  formatG,
  humanDuration,
  humanSize,
  parseDuration,
  parseTimestamp,
  portsString,
  timeAgo,
  truncateId,
} from '../../src/cli/humanize.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('humanSize uses decimal units with four significant digits', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(1230), '1.23kB');
  assert.equal(humanSize(4_260_000), '4.26MB');
  assert.equal(humanSize(1_234_567), '1.235MB');
  assert.equal(humanSize(5_500_000_000), '5.5GB');
  assert.equal(humanSize(999_999), '1000kB');
});

test('humanSize rounds exact halves to even, as Go does', () => {
  assert.equal(humanSize(1_062_500), '1.062MB');
  assert.equal(humanSize(1_187_500), '1.188MB');
});

test('bytesSize uses binary units', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(1024 * 1024), '1MiB');
  assert.equal(bytesSize(3.5 * 1024 ** 3), '3.5GiB');
});

test('formatG switches to exponent form like Go %g', () => {
  assert.equal(formatG(123456, 4), '1.235e+05');
  assert.equal(formatG(0.00001234, 4), '1.234e-05');
  assert.equal(formatG(0.5, 4), '0.5');
});

test('humanDuration words durations as go-units does', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [SEC, '1 second'],
    [45 * SEC, '45 seconds'],
    [MIN, 'About a minute'],
    [119 * SEC, 'About a minute'],
    [3 * MIN, '3 minutes'],
    [59 * MIN, '59 minutes'],
    [HOUR, 'About an hour'],
    [89 * MIN, 'About an hour'],
    [90 * MIN, '2 hours'],
    [47 * HOUR, '47 hours'],
    [3 * DAY, '3 days'],
    [13 * DAY, '13 days'],
    [14 * DAY, '2 weeks'],
    [59 * DAY, '8 weeks'],
    [120 * DAY, '4 months'],
    [730 * DAY, '2 years'],
    [-5 * SEC, 'Less than a second'],
  ];
  for (const [ms, words] of cases) assert.equal(humanDuration(ms), words, `${ms} ms`);
});

test('timeAgo appends ago', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(timeAgo('2024-05-01T11:57:00Z', now), '3 minutes ago');
  assert.equal(timeAgo(new Date('2024-05-01T11:59:59.500Z'), now), 'Less than a second ago');
});

test('containerStatus reproduces docker ps status strings', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  const started = '2024-05-01T11:59:55Z';
  const finished = '2024-05-01T11:59:57Z';
  const zero = '0001-01-01T00:00:00Z';
  assert.equal(containerStatus({ Running: true, StartedAt: started }, now), 'Up 5 seconds');
  assert.equal(containerStatus({ Running: true, StartedAt: '2024-05-01T11:59:00Z' }, now), 'Up About a minute');
  assert.equal(containerStatus({ Running: true, Paused: true, StartedAt: started }, now), 'Up 5 seconds (Paused)');
  assert.equal(
    containerStatus({ Running: true, StartedAt: started, Health: { Status: 'healthy' } }, now),
    'Up 5 seconds (healthy)',
  );
  assert.equal(
    containerStatus({ Running: true, StartedAt: started, Health: { Status: 'starting' } }, now),
    'Up 5 seconds (health: starting)',
  );
  assert.equal(
    containerStatus({ Running: true, Restarting: true, ExitCode: 1, StartedAt: started, FinishedAt: '2024-05-01T11:59:58Z' }, now),
    'Restarting (1) 2 seconds ago',
  );
  assert.equal(containerStatus({ ExitCode: 0, StartedAt: started, FinishedAt: finished }, now), 'Exited (0) 3 seconds ago');
  assert.equal(containerStatus({ StartedAt: zero, FinishedAt: zero }, now), 'Created');
  assert.equal(containerStatus({ RemovalInProgress: true, StartedAt: started }, now), 'Removal In Progress');
  assert.equal(containerStatus({ Dead: true, StartedAt: started }, now), 'Dead');
});

test('parseDuration reads Go durations into nanoseconds', () => {
  assert.equal(parseDuration('10s'), 10e9);
  assert.equal(parseDuration('1m30s'), 90e9);
  assert.equal(parseDuration('2h'), 7200e9);
  assert.equal(parseDuration('500ms'), 500e6);
  assert.equal(parseDuration('1.5h'), 5400e9);
  assert.equal(parseDuration('-1m'), -60e9);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('3us'), 3000);
  assert.equal(parseDuration('3µs'), 3000);
});

test('parseDuration rejects malformed input with Go wording', () => {
  assert.throws(() => parseDuration(''), { message: 'time: invalid duration ""' });
  assert.throws(() => parseDuration('10'), { message: 'time: missing unit in duration "10"' });
  assert.throws(() => parseDuration('10x'), { message: 'time: unknown unit "x" in duration "10x"' });
  assert.throws(() => parseDuration('.s'), { message: 'time: invalid duration ".s"' });
});

test('parseTimestamp turns a duration into whole seconds before now', () => {
  const now = new Date('2024-05-01T12:00:00.700Z');
  assert.equal(parseTimestamp('10m', now), String(Date.parse('2024-05-01T11:50:00Z') / 1000));
});

test('parseTimestamp reads RFC 3339 with or without fraction and zone', () => {
  assert.equal(parseTimestamp('2024-01-02T03:04:05Z'), '1704164645.000000000');
  assert.equal(parseTimestamp('2024-01-02T03:04:05.123Z'), '1704164645.123000000');
  assert.equal(parseTimestamp('2024-01-02T03:04:05.123456789+01:00'), '1704161045.123456789');
  assert.equal(parseTimestamp('2024-01-02Z'), '1704153600.000000000');
  const local = new Date(2024, 0, 2, 3, 4, 5).getTime() / 1000;
  assert.equal(parseTimestamp('2024-01-02T03:04:05'), `${local}.000000000`);
  const localHour = new Date(2024, 0, 2, 3).getTime() / 1000;
  assert.equal(parseTimestamp('2024-01-02T03'), `${localHour}.000000000`);
});

test('parseTimestamp passes Unix seconds through and rejects nonsense', () => {
  assert.equal(parseTimestamp('1700000000.123'), '1700000000.123');
  assert.equal(parseTimestamp('1700000000'), '1700000000');
  assert.throws(() => parseTimestamp('yesterday'), { message: 'failed to parse value as time or duration: "yesterday"' });
  assert.throws(() => parseTimestamp('2024-13-01'), /parsing time "2024-13-01"/);
});

test('truncateId keeps twelve characters and drops the algorithm', () => {
  assert.equal(truncateId('sha256:0123456789abcdef0123'), '0123456789ab');
  assert.equal(truncateId('0123456789abcdef'), '0123456789ab');
  assert.equal(truncateId('abc'), 'abc');
});

test('portsString formats ports as docker ps does', () => {
  assert.equal(portsString([]), '');
  assert.equal(portsString([{ PrivatePort: 80, Type: 'tcp' }]), '80/tcp');
  assert.equal(portsString([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]), '0.0.0.0:8080->80/tcp');
  assert.equal(portsString([{ IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]), '[::]:8080->80/tcp');
  assert.equal(
    portsString([
      { IP: '0.0.0.0', PrivatePort: 8001, PublicPort: 8001, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 8000, PublicPort: 8000, Type: 'tcp' },
    ]),
    '0.0.0.0:8000-8001->8000-8001/tcp',
  );
  assert.equal(
    portsString([
      { PrivatePort: 53, Type: 'udp' },
      { PrivatePort: 80, Type: 'tcp' },
      { PrivatePort: 81, Type: 'tcp' },
      { PrivatePort: 90, Type: 'tcp' },
    ]),
    // Go emits a group when a gap closes it, then the open groups in first-seen order.
    '80-81/tcp, 53/udp, 90/tcp',
  );
});

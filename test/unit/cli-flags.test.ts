import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  type FlagSpec,
  UsageError,
  formatFlagUsages,
  formatHelp,
  parseFlags,
  parseGlobalOptions,
} from '../../src/cli/flags.js';

const RUN_FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
  { name: 'env', short: 'e', type: 'stringArray', description: 'Set environment variables' },
  { name: 'publish', short: 'p', type: 'stringArray', description: "Publish a container's port(s) to the host" },
  { name: 'name', type: 'string', description: 'Assign a name to the container' },
  { name: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers' },
  { name: 'time', type: 'duration', description: 'Timeout' },
  { name: 'hostname', short: 'h', type: 'string', description: 'Container host name' },
];

const usageError = (message: string) => (err: unknown) => err instanceof UsageError && err.message === message;

test('long flags take their value after = or as the next argument', () => {
  const a = parseFlags(RUN_FLAGS, ['--name=web', 'busybox']);
  const b = parseFlags(RUN_FLAGS, ['--name', 'web', 'busybox']);
  assert.equal(a.string('name'), 'web');
  assert.equal(b.string('name'), 'web');
  assert.deepEqual(b.positionals, ['busybox']);
});

test('a long flag takes the next argument even when it starts with a dash', () => {
  assert.equal(parseFlags(RUN_FLAGS, ['--name', '-x']).string('name'), '-x');
  assert.equal(parseFlags(RUN_FLAGS, ['-n', '-1']).int('last'), -1);
});

test('short flags take a separate, attached or = value', () => {
  assert.deepEqual(parseFlags(RUN_FLAGS, ['-e', 'A=1']).array('env'), ['A=1']);
  assert.deepEqual(parseFlags(RUN_FLAGS, ['-eA=1']).array('env'), ['A=1']);
  assert.deepEqual(parseFlags(RUN_FLAGS, ['-e=A=1']).array('env'), ['A=1']);
});

test('bundled short bools like -it and -dit all turn on', () => {
  const it = parseFlags(RUN_FLAGS, ['-it', 'busybox', 'sh']);
  assert.equal(it.bool('interactive'), true);
  assert.equal(it.bool('tty'), true);
  assert.equal(it.bool('detach'), false);
  const dit = parseFlags(RUN_FLAGS, ['-dit']);
  assert.deepEqual([dit.bool('detach'), dit.bool('interactive'), dit.bool('tty')], [true, true, true]);
});

test('a bundle may end with a flag that takes the following argument', () => {
  const parsed = parseFlags(RUN_FLAGS, ['-dp', '8080:80', 'nginx']);
  assert.equal(parsed.bool('detach'), true);
  assert.deepEqual(parsed.array('publish'), ['8080:80']);
  assert.deepEqual(parsed.positionals, ['nginx']);
});

test('bool flags accept =false and =true but never consume the next argument', () => {
  assert.equal(parseFlags(RUN_FLAGS, ['--rm=false']).bool('rm'), false);
  assert.equal(parseFlags(RUN_FLAGS, ['--rm=true']).bool('rm'), true);
  assert.equal(parseFlags(RUN_FLAGS, ['-d=false']).bool('detach'), false);
  const parsed = parseFlags(RUN_FLAGS, ['--rm', 'false']);
  assert.equal(parsed.bool('rm'), true);
  assert.deepEqual(parsed.positionals, ['false']);
});

test('repeated stringArray flags accumulate in order', () => {
  const parsed = parseFlags(RUN_FLAGS, ['-e', 'A=1', '--env=B=2', '-eC=3']);
  assert.deepEqual(parsed.array('env'), ['A=1', 'B=2', 'C=3']);
});

test('a repeated scalar flag keeps its last value', () => {
  assert.equal(parseFlags(RUN_FLAGS, ['--name', 'a', '--name', 'b']).string('name'), 'b');
});

test('a double dash ends the flags', () => {
  const parsed = parseFlags(RUN_FLAGS, ['--rm', '--', '-d', '--name']);
  assert.equal(parsed.bool('detach'), false);
  assert.deepEqual(parsed.positionals, ['-d', '--name']);
});

test('flags may follow positionals by default', () => {
  const parsed = parseFlags(RUN_FLAGS, ['web', '--rm', 'db']);
  assert.equal(parsed.bool('rm'), true);
  assert.deepEqual(parsed.positionals, ['web', 'db']);
});

test('with interspersed off, the first positional ends flag parsing', () => {
  const parsed = parseFlags(RUN_FLAGS, ['--rm', 'busybox', 'ls', '-l', '--', '-d'], { interspersed: false });
  assert.equal(parsed.bool('rm'), true);
  assert.equal(parsed.bool('detach'), false);
  assert.deepEqual(parsed.positionals, ['busybox', 'ls', '-l', '--', '-d']);
});

test('a lone dash is a positional', () => {
  assert.deepEqual(parseFlags(RUN_FLAGS, ['-']).positionals, ['-']);
});

test('defaults apply to flags that were not given', () => {
  const parsed = parseFlags(RUN_FLAGS, []);
  assert.equal(parsed.int('last'), -1);
  assert.equal(parsed.string('name'), '');
  assert.deepEqual(parsed.array('env'), []);
  assert.equal(parsed.changed('last'), false);
  assert.equal(parseFlags(RUN_FLAGS, ['-n', '3']).changed('last'), true);
});

test('int flags accept Go integer syntax', () => {
  assert.equal(parseFlags(RUN_FLAGS, ['-n', '0x10']).int('last'), 16);
  assert.equal(parseFlags(RUN_FLAGS, ['--last=+7']).int('last'), 7);
});

test('duration flags parse Go durations into nanoseconds', () => {
  assert.equal(parseFlags(RUN_FLAGS, ['--time', '1m30s']).duration('time'), 90e9);
});

test('an unknown long flag is reported in docker words', () => {
  assert.throws(() => parseFlags(RUN_FLAGS, ['--foo']), usageError('unknown flag: --foo'));
  assert.throws(() => parseFlags(RUN_FLAGS, ['--foo=bar']), usageError('unknown flag: --foo'));
});

test('an unknown shorthand names the character and the rest of the bundle', () => {
  assert.throws(() => parseFlags(RUN_FLAGS, ['-z']), usageError("unknown shorthand flag: 'z' in -z"));
  assert.throws(() => parseFlags(RUN_FLAGS, ['-dzi']), usageError("unknown shorthand flag: 'z' in -zi"));
});

test('a flag without its value is reported in docker words', () => {
  assert.throws(() => parseFlags(RUN_FLAGS, ['--name']), usageError('flag needs an argument: --name'));
  assert.throws(() => parseFlags(RUN_FLAGS, ['-e']), usageError("flag needs an argument: 'e' in -e"));
  assert.throws(() => parseFlags(RUN_FLAGS, ['-de']), usageError("flag needs an argument: 'e' in -e"));
});

test('a bad int value is reported with strconv wording', () => {
  assert.throws(
    () => parseFlags(RUN_FLAGS, ['-n', 'x']),
    usageError('invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax'),
  );
});

test('a bad bool or duration value is reported with Go wording', () => {
  assert.throws(
    () => parseFlags(RUN_FLAGS, ['--rm=maybe']),
    usageError('invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
  );
  assert.throws(
    () => parseFlags(RUN_FLAGS, ['--time', '10']),
    usageError('invalid argument "10" for "--time" flag: time: missing unit in duration "10"'),
  );
});

test('triple dashes are bad flag syntax', () => {
  assert.throws(() => parseFlags(RUN_FLAGS, ['---x']), usageError('bad flag syntax: ---x'));
});

test('--help is recognised without being declared, and -h only when no flag owns it', () => {
  assert.equal(parseFlags(RUN_FLAGS, ['--help']).help, true);
  const withHostname = parseFlags(RUN_FLAGS, ['-h', 'box']);
  assert.equal(withHostname.help, false);
  assert.equal(withHostname.string('hostname'), 'box');
  assert.equal(parseFlags([], ['-h']).help, true);
});

test('reading an undeclared flag is a programming error, not a usage error', () => {
  const parsed = parseFlags(RUN_FLAGS, []);
  assert.throws(() => parsed.string('nope'), (err: unknown) => err instanceof Error && !(err instanceof UsageError));
  assert.throws(() => parsed.string('rm'), /not of type string/);
});

test('global options stop at the command name', () => {
  const { options, rest } = parseGlobalOptions(['-H', 'unix:///tmp/x.sock', '-D', 'run', '-d', 'busybox']);
  assert.equal(options.host, 'unix:///tmp/x.sock');
  assert.equal(options.debug, true);
  assert.equal(options.logLevel, 'info');
  assert.deepEqual(rest, ['run', '-d', 'busybox']);
});

test('global options read --version, --log-level and reject two hosts', () => {
  assert.equal(parseGlobalOptions(['-v']).options.version, true);
  assert.equal(parseGlobalOptions(['--log-level', 'debug', 'ps']).options.logLevel, 'debug');
  assert.throws(() => parseGlobalOptions(['-l', 'loud', 'ps']), usageError('Unable to parse logging level: loud'));
  assert.throws(() => parseGlobalOptions(['-H', 'a', '-H', 'b', 'ps']), usageError('Specify only one -H'));
  assert.deepEqual(parseGlobalOptions([]).rest, []);
});

test('flag usages are sorted and aligned three spaces past the longest flag', () => {
  const text = formatFlagUsages([
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'env', short: 'e', type: 'stringArray', description: 'Set environment variables' },
    { name: 'add-host', type: 'stringArray', description: 'Add a custom host-to-IP mapping (host:ip)' },
    { name: 'secret', type: 'string', hidden: true, description: 'hidden' },
    { name: 'log-level', short: 'l', default: 'info', description: 'Set the logging level' },
    { name: 'tail', short: 'n', type: 'int', default: -1, description: 'Lines' },
  ]);
  assert.equal(
    text,
    [
      '      --add-host list      Add a custom host-to-IP mapping (host:ip)',
      '  -e, --env list           Set environment variables',
      '  -l, --log-level string   Set the logging level (default "info")',
      '  -n, --tail int           Lines (default -1)',
      '  -t, --tty                Allocate a pseudo-TTY',
      '',
    ].join('\n'),
  );
});

test('help text follows docker layout with berth as the program', () => {
  const text = formatHelp({
    usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    aliases: ['berth container run', 'berth run'],
    flags: [{ name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' }],
  });
  assert.equal(
    text,
    '\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n\n' +
      'Aliases:\n  berth container run, berth run\n\nOptions:\n      --rm   Automatically remove the container when it exits\n',
  );
});

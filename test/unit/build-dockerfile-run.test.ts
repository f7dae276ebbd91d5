import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError } from '../../src/util/errors.js';
import {
  expandInstruction,
  parseDockerfile,
  parseGoDuration,
  parseOnbuildTriggers,
  runCommandLine,
  shellCommandArgs,
  type CopyInstruction,
  type HealthcheckSpec,
  type Instruction,
  type RunInstruction,
  type RunMount,
} from '../../src/build/dockerfile/index.js';

function only(text: string): Instruction {
  const ins = parseDockerfile(`FROM x\n${text}`).stages[0].instructions;
  assert.equal(ins.length, 1, 'one instruction');
  return ins[0];
}

function run(text: string): RunInstruction {
  const ins = only(text);
  assert.equal(ins.kind, 'RUN');
  return ins as RunInstruction;
}

function copy(text: string): CopyInstruction {
  const ins = only(text);
  assert.ok(ins.kind === 'COPY' || ins.kind === 'ADD');
  return ins as CopyInstruction;
}

function mounts(flags: string): RunMount[] {
  return run(`RUN ${flags} true\n`).mounts;
}

function healthcheck(text: string): HealthcheckSpec {
  const ins = only(`HEALTHCHECK ${text}\n`);
  assert.equal(ins.kind, 'HEALTHCHECK');
  return ins.kind === 'HEALTHCHECK' ? ins.healthcheck : { test: ['NONE'] };
}

function assertParseError(text: string, message: string | RegExp): void {
  assert.throws(
    () => parseDockerfile(`FROM x\n${text}`),
    (err: unknown) => {
      if (!isEngineError(err, 'InvalidArgument')) assert.fail(`expected InvalidArgument, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('heredocs', () => {
  it('runs a lone RUN heredoc body with the shell', () => {
    const ins = run('RUN <<EOF\necho one\necho two\nEOF\n');
    assert.deepEqual(ins.heredocs, [{ name: 'EOF', content: 'echo one\necho two\n', expand: true, chomp: false }]);
    assert.deepEqual(runCommandLine(ins), { args: ['/bin/sh', '-c', 'echo one\necho two\n'] });
    assert.deepEqual(ins.loc, { file: 'Dockerfile', line: 2, endLine: 5 });
  });

  it('runs a body that starts with #! as its own script file', () => {
    const ins = run('RUN <<EOT\n#!/usr/bin/env python3\nprint("hi")\nEOT\n');
    assert.deepEqual(runCommandLine(ins), {
      args: ['/dev/pipes/EOT'],
      inlineFile: { path: '/dev/pipes/EOT', content: '#!/usr/bin/env python3\nprint("hi")\n', mode: 0o755 },
    });
  });

  it('gives the shell the whole text when the heredoc feeds a command', () => {
    const ins = run('RUN python3 <<EOF > /out\nprint(1)\nEOF\n');
    assert.deepEqual(runCommandLine(ins, ['/bin/bash', '-c']), { args: ['/bin/bash', '-c', 'python3 <<EOF > /out\nprint(1)\nEOF'] });
  });

  it('reads several heredocs on one line in order', () => {
    const ins = copy('COPY <<one.txt <<two.txt /dest/\nfirst\none.txt\nsecond\ntwo.txt\n');
    assert.deepEqual(ins.sources, []);
    assert.deepEqual(ins.heredocs.map((h) => [h.name, h.content]), [['one.txt', 'first\n'], ['two.txt', 'second\n']]);
  });

  it('strips leading tabs with <<- from the body and the terminator', () => {
    const ins = run('RUN <<-EOF\n\tindented\n\t\ttwice\n\tEOF\n');
    assert.deepEqual(ins.heredocs, [{ name: 'EOF', content: 'indented\ntwice\n', expand: true, chomp: true }]);
  });

  it('does not expand a body whose delimiter is quoted, in any part', () => {
    assert.deepEqual(
      ['RUN <<"EOF"\nx\nEOF\n', "RUN <<'EOF'\nx\nEOF\n", "RUN <<E'O'F\nx\nEOF\n", 'RUN <<EOF\nx\nEOF\n'].map((t) => run(t).heredocs[0].expand),
      [false, false, false, true],
    );
  });

  it('keeps comments, blank lines and continuation characters inside a body', () => {
    const ins = run('RUN <<EOF\n# not a comment\n\necho a \\\nEOF\n');
    assert.equal(ins.heredocs[0].content, '# not a comment\n\necho a \\\n');
  });

  it('reads a file descriptor before <<', () => {
    assert.equal(run('RUN cat 3<<EOF\nx\nEOF\n').heredocs[0].fileDescriptor, 3);
  });

  it('ignores << inside quotes, in JSON form and on other instructions', () => {
    assert.deepEqual(run('RUN echo "<<EOF"\n').heredocs, []);
    assert.deepEqual(run('RUN ["cat", "<<EOF"]\n').heredocs, []);
    assertParseError('USER <<EOF\nEOF\n', /^dockerfile parse error on line 3: unknown instruction: EOF/);
  });

  it('expands a COPY heredoc body at build time, keeping its quotes', () => {
    const ins = copy('COPY <<EOF /etc/motd\nhello "$NAME" \\$HOME\nEOF\n');
    const expanded = expandInstruction(ins, new Map([['NAME', 'berth']]));
    assert.equal(expanded.heredocs[0].content, 'hello "berth" $HOME\n');
    const quoted = copy("COPY <<'EOF' /etc/motd\nhello $NAME\nEOF\n");
    assert.equal(expandInstruction(quoted, new Map([['NAME', 'berth']])).heredocs[0].content, 'hello $NAME\n');
  });

  it('refuses an unterminated heredoc and a heredoc as destination', () => {
    assertParseError('RUN <<EOF\necho\n', 'dockerfile parse error on line 2: unterminated heredoc');
    assertParseError('COPY a <<EOF\nx\nEOF\n', 'dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination');
  });
});

describe('RUN options', () => {
  it('reads cache mounts with docker defaults', () => {
    assert.deepEqual(mounts('--mount=type=cache,target=/root/.cache'), [{ type: 'cache', target: '/root/.cache', sharing: 'shared', readonly: false }]);
    assert.deepEqual(mounts('--mount=type=cache,id=go,dst=/go/pkg,sharing=locked,mode=0700,uid=1000,gid=1000,ro'), [
      { type: 'cache', target: '/go/pkg', id: 'go', sharing: 'locked', readonly: true, mode: 0o700, uid: 1000, gid: 1000 },
    ]);
  });

  it('reads bind mounts as read-only unless rw', () => {
    assert.deepEqual(mounts('--mount=target=/src'), [{ type: 'bind', target: '/src', readwrite: false }]);
    assert.deepEqual(mounts('--mount=type=bind,from=build,source=/out,target=/in,rw'), [
      { type: 'bind', target: '/in', source: '/out', from: 'build', readwrite: true },
    ]);
    assert.deepEqual(mounts('--mount=type=bind,src=.,dst=/ctx,readwrite=true'), [{ type: 'bind', target: '/ctx', source: '.', readwrite: true }]);
  });

  it('reads tmpfs sizes, secrets and ssh sockets', () => {
    assert.deepEqual(mounts('--mount=type=tmpfs,target=/tmp,size=64m'), [{ type: 'tmpfs', target: '/tmp', size: 64 * 1024 * 1024 }]);
    assert.deepEqual(mounts('--mount=type=secret,id=npmrc,target=/root/.npmrc,required'), [
      { type: 'secret', id: 'npmrc', target: '/root/.npmrc', required: true },
    ]);
    assert.deepEqual(mounts('--mount=type=secret,id=token'), [{ type: 'secret', id: 'token', target: '/run/secrets/token', required: false }]);
    assert.deepEqual(mounts('--mount=type=secret,target=/etc/aws.conf'), [{ type: 'secret', id: 'aws.conf', target: '/etc/aws.conf', required: false }]);
    assert.deepEqual(mounts('--mount=type=secret,id=TOKEN,env=TOKEN'), [{ type: 'secret', id: 'TOKEN', env: 'TOKEN', required: false }]);
    assert.deepEqual(mounts('--mount=type=ssh'), [{ type: 'ssh', id: 'default', required: false }]);
  });

  it('reads several mounts, CSV quoting and the network and security modes', () => {
    const ins = run('RUN --mount=type=cache,target=/a --mount="type=bind,target=/b c" --network=none --security=insecure make\n');
    assert.deepEqual(ins.mounts.map((m) => m.target), ['/a', '/b c']);
    assert.deepEqual([ins.network, ins.security], ['none', 'insecure']);
  });

  it('words mount mistakes as docker does', () => {
    assertParseError('RUN --mount=type=volume,target=/x true\n', 'dockerfile parse error on line 2: unsupported mount type "volume"');
    assertParseError('RUN --mount=type=cache,target=/x,sharing=all true\n', 'dockerfile parse error on line 2: unsupported sharing value "all"');
    assertParseError('RUN --mount=type=bind,target=/x,size=1m true\n', "dockerfile parse error on line 2: unexpected key 'size' for mount type 'bind'");
    assertParseError('RUN --mount=type=bind,target=/x,mode=0600 true\n', 'dockerfile parse error on line 2: mode not allowed for "bind" type mounts');
    assertParseError('RUN --mount=type=cache,targte=/x true\n', "dockerfile parse error on line 2: unexpected key 'targte' in 'targte=/x' (did you mean target?)");
    assertParseError('RUN --mount=type=secret true\n', 'dockerfile parse error on line 2: invalid secret mount. one of source, target required');
    assertParseError('RUN --mount=type=cache,target=/x,uid=me true\n', 'dockerfile parse error on line 2: invalid value me for uid');
    assertParseError('RUN --mount=type=cache,target=/x,bogus true\n', "dockerfile parse error on line 2: invalid field 'bogus' must be a key=value pair");
    assertParseError('RUN --network=bridge true\n', 'dockerfile parse error on line 2: invalid network mode "bridge"');
    assertParseError('RUN --security=privileged true\n', 'dockerfile parse error on line 2: security "privileged" is not valid');
  });

  it('substitutes build variables in mount options at build time', () => {
    const ins = run('RUN --mount=type=cache,id=$CACHE_ID,target=/cache,uid=${UID} true\n');
    const expanded = expandInstruction(ins, new Map([['CACHE_ID', 'pip'], ['UID', '1000']]));
    assert.deepEqual(expanded.mounts, [{ type: 'cache', target: '/cache', id: 'pip', sharing: 'shared', readonly: false, uid: 1000 }]);
    assert.deepEqual(expanded.command, ins.command);
  });

  it('refuses variables in a mount from=', () => {
    assertParseError('RUN --mount=from=$STAGE,target=/x true\n', "dockerfile parse error on line 2: 'from' doesn't support variable expansion, define alias stage instead");
  });
});

describe('commands and shells', () => {
  it('prefixes shell form with the shell and leaves exec form alone', () => {
    assert.deepEqual(shellCommandArgs({ form: 'shell', text: 'echo $HOME' }), ['/bin/sh', '-c', 'echo $HOME']);
    assert.deepEqual(shellCommandArgs({ form: 'shell', text: 'echo' }, ['pwsh', '-Command']), ['pwsh', '-Command', 'echo']);
    assert.deepEqual(shellCommandArgs({ form: 'exec', args: ['/app', '-v'] }), ['/app', '-v']);
    assert.deepEqual(shellCommandArgs({ form: 'shell', text: '' }), ['/bin/sh', '-c', '']);
  });
});

describe('HEALTHCHECK', () => {
  it('reads NONE, CMD in shell and exec form, and the options in nanoseconds', () => {
    assert.deepEqual(healthcheck('NONE'), { test: ['NONE'] });
    assert.deepEqual(healthcheck('CMD curl -f http://localhost/ || exit 1'), { test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] });
    assert.deepEqual(healthcheck('--interval=30s --timeout=1m30s --start-period=500ms --start-interval=2s --retries=5 cmd ["/check", "-q"]'), {
      test: ['CMD', '/check', '-q'],
      interval: 30e9,
      timeout: 90e9,
      startPeriod: 500e6,
      startInterval: 2e9,
      retries: 5,
    });
  });

  it('treats zero durations and zero retries as the defaults', () => {
    assert.deepEqual(healthcheck('--interval=0s --timeout=0 --retries=0 CMD ["x"]'), { test: ['CMD', 'x'] });
  });

  it('words HEALTHCHECK mistakes as docker does', () => {
    assertParseError('HEALTHCHECK\n', 'dockerfile parse error on line 2: HEALTHCHECK requires at least one argument');
    assertParseError('HEALTHCHECK NONE x\n', 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments');
    assertParseError('HEALTHCHECK CMD\n', 'dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD');
    assertParseError('HEALTHCHECK CONNECT TCP 7000\n', 'dockerfile parse error on line 2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)');
    assertParseError('HEALTHCHECK --interval=50ns CMD x\n', 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms');
    assertParseError('HEALTHCHECK --timeout=5 CMD x\n', 'dockerfile parse error on line 2: time: missing unit in duration "5"');
    assertParseError('HEALTHCHECK --retries=-1 CMD x\n', 'dockerfile parse error on line 2: --retries cannot be negative (-1)');
    assertParseError('HEALTHCHECK --retries=many CMD x\n', 'dockerfile parse error on line 2: strconv.ParseInt: parsing "many": invalid syntax');
    assertParseError('HEALTHCHECK --every=5s CMD x\n', 'dockerfile parse error on line 2: unknown flag: --every');
  });

  it('reads Go durations', () => {
    assert.deepEqual(['1h2m3.5s', '1.5h', '300ms', '10us', '10µs', '7ns', '-1s', '0'].map(parseGoDuration), [
      3723.5e9, 5400e9, 300e6, 10e3, 10e3, 7, -1e9, 0,
    ]);
    assert.throws(() => parseGoDuration('1d'), /time: unknown unit "d" in duration "1d"/);
    assert.throws(() => parseGoDuration('s'), /time: invalid duration "s"/);
  });
});

describe('ONBUILD', () => {
  it('keeps the trigger as written', () => {
    const ins = only('ONBUILD RUN echo "built on me"\n');
    assert.deepEqual(ins.kind === 'ONBUILD' && ins.trigger, 'RUN echo "built on me"');
  });

  it('keeps a heredoc body in the trigger so it can be read again', () => {
    const ins = only('ONBUILD COPY <<EOF /hello\nhi\nEOF\n');
    assert.ok(ins.kind === 'ONBUILD');
    const [trigger] = parseOnbuildTriggers([ins.trigger]);
    assert.deepEqual(trigger.kind === 'COPY' && trigger.heredocs, [{ name: 'EOF', content: 'hi\n', expand: true, chomp: false }]);
  });

  it('refuses ONBUILD ONBUILD, FROM and MAINTAINER triggers and a bad trigger', () => {
    assertParseError('ONBUILD ONBUILD RUN x\n', "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    assertParseError('ONBUILD FROM scratch\n', "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger");
    assertParseError('onbuild maintainer me\n', "dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger");
    assertParseError('ONBUILD\n', 'dockerfile parse error on line 2: ONBUILD requires at least one argument');
    assertParseError('ONBUILD COPY onlyone\n', /COPY requires at least two arguments/);
  });

  it('reads an image\'s triggers as instructions for the stage that uses it', () => {
    const triggers = parseOnbuildTriggers(['COPY . /app/src', 'RUN make -C /app']);
    assert.deepEqual(triggers.map((t) => t.kind), ['COPY', 'RUN']);
  });
});

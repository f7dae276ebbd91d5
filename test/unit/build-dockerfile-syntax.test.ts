import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError } from '../../src/util/errors.js';
import { parseDockerfile, type Instruction } from '../../src/build/dockerfile/index.js';

function assertParseError(text: string, message: string | RegExp): void {
  assert.throws(
    () => parseDockerfile(text),
    (err: unknown) => isEngineError(err, 'InvalidArgument') && (typeof message === 'string' ? err.message === message : message.test(err.message)),
  );
}

function instructions(text: string): Instruction[] {
  return parseDockerfile(text).stages.flatMap((s) => [s.from, ...s.instructions]);
}

function commandTexts(text: string): string[] {
  return instructions(text)
    .filter((i) => i.kind === 'RUN')
    .map((i) => (i.kind === 'RUN' && i.command.form === 'shell' ? i.command.text : JSON.stringify(i)));
}

describe('Dockerfile syntax: parser directives', () => {
  it('reads syntax, escape and check directives at the top', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1.7\n# escape=`\n#check=skip=all\nFROM x\n');
    assert.deepEqual(df.directives, { escape: '`', syntax: 'docker/dockerfile:1.7', check: 'skip=all' });
  });

  it('accepts blanks around the = and any case for the key', () => {
    assert.equal(parseDockerfile('#  ESCAPE  =  `\nFROM x\n').directives.escape, '`');
  });

  it('stops looking for directives after a blank line, a comment or an instruction', () => {
    assert.equal(parseDockerfile('\n# escape=`\nFROM x\n').directives.escape, '\\');
    assert.equal(parseDockerfile('# a comment\n# escape=`\nFROM x\n').directives.escape, '\\');
    assert.equal(parseDockerfile('FROM x\n# escape=`\n').directives.escape, '\\');
    assert.equal(parseDockerfile('# unknowndirective=1\n# escape=`\nFROM x\n').directives.escape, '\\');
  });

  it('treats a directive-looking line after the top as a comment', () => {
    assert.deepEqual(parseDockerfile('FROM x\n# syntax=foo\nRUN true\n').directives, { escape: '\\' });
  });

  it('refuses a repeated directive and an invalid escape character', () => {
    assertParseError('# escape=`\n# escape=\\\nFROM x\n', 'dockerfile parse error on line 2: only one escape parser directive can be used');
    assertParseError('# escape=x\nFROM x\n', "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\");
  });

  it('uses a backtick as line continuation and escape when asked', () => {
    const df = parseDockerfile('# escape=`\nFROM windows\nRUN dir C:\\ `\n  && echo done\nCOPY a C:\\dest\\\n');
    const [run, copy] = df.stages[0].instructions;
    assert.deepEqual(run.kind === 'RUN' && run.command, { form: 'shell', text: 'dir C:\\   && echo done' });
    assert.equal(copy.kind === 'COPY' && copy.dest, 'C:\\dest\\');
  });

  it('ignores a byte-order mark at the start', () => {
    assert.equal(parseDockerfile('\uFEFF# escape=`\nFROM x\n').directives.escape, '`');
  });
});

describe('Dockerfile syntax: comments and continuations', () => {
  it('drops comment lines, also indented ones, but keeps # inside an instruction', () => {
    assert.deepEqual(commandTexts('# top\nFROM x\n   # indented comment\nRUN echo "#not a comment" # nor this\n'), [
      'echo "#not a comment" # nor this',
    ]);
  });

  it('joins continuation lines, keeping the blanks before the escape', () => {
    assert.deepEqual(commandTexts('FROM x\nRUN apt-get update \\\n    && apt-get install -y \\\n\tcurl\n'), [
      'apt-get update     && apt-get install -y \tcurl',
    ]);
  });

  it('skips comment lines and blank lines inside a continuation', () => {
    assert.deepEqual(commandTexts('FROM x\nRUN one \\\n# a comment\n   # indented comment\n\n  two \\\n\n  three\n'), ['one   two   three']);
  });

  it('warns about blank lines inside a continuation, as docker does, but not about comments', () => {
    const df = parseDockerfile('FROM x\nRUN something \\\n\n    following\nRUN other \\\n# note\n  line\n');
    assert.deepEqual(df.warnings, [{ line: 4, message: 'Empty continuation line found in: RUN something     following' }]);
    assert.equal(parseDockerfile('FROM x\n').warnings, undefined);
  });

  it('accepts blanks after the continuation character', () => {
    assert.deepEqual(commandTexts('FROM x\nRUN a \\   \n  b\n'), ['a   b']);
  });

  it('ends the instruction at end of file even after a continuation', () => {
    assert.deepEqual(commandTexts('FROM x\nRUN a \\\n  b \\'), ['a   b']);
  });

  it('does not treat an escaped escape character in the middle of a line as continuation', () => {
    assert.deepEqual(commandTexts('FROM x\nRUN echo a\\\\b\n'), ['echo a\\\\b']);
  });

  it('handles Windows line endings', () => {
    assert.deepEqual(commandTexts('FROM x\r\nRUN a \\\r\n  b\r\n'), ['a   b']);
  });

  it('counts lines across continuations and blank lines', () => {
    const df = parseDockerfile('# escape=\\\n\n\nFROM x\n\n\nENV A \\\n/a\n\n# note\nRUN a \\\n\tb \\\n\n\tc\n\n');
    assert.deepEqual(
      instructions('# escape=\\\n\n\nFROM x\n\n\nENV A \\\n/a\n\n# note\nRUN a \\\n\tb \\\n\n\tc\n\n').map((i) => [i.loc.line, i.loc.endLine]),
      [[4, 4], [7, 8], [11, 14]],
    );
    assert.equal(df.stages[0].instructions.length, 2);
  });
});

describe('Dockerfile syntax: quoting and JSON', () => {
  it('keeps escapes and quotes in LABEL and ENV values for expansion', () => {
    const [, label] = instructions('FROM x\nLABEL maintainer Erik \\\\Hollensbe <erik@example.com>\\"\n');
    assert.deepEqual(label.kind === 'LABEL' && label.pairs, [['maintainer', 'Erik \\\\Hollensbe <erik@example.com>\\"']]);
  });

  it('reads JSON string escapes in exec form', () => {
    const [, cmd] = instructions('FROM x\nCMD ["\\/usr\\\\\\"/bin/znc", "\\u2603", "tab\\there"]\n');
    assert.deepEqual(cmd.kind === 'CMD' && cmd.command, { form: 'exec', args: ['/usr\\"/bin/znc', '☃', 'tab\there'] });
  });

  it('reads an empty JSON array and one empty string', () => {
    const [, a, b] = instructions('FROM x\nCMD []\nENTRYPOINT [""]\n');
    assert.deepEqual([a.kind === 'CMD' && a.command, b.kind === 'ENTRYPOINT' && b.command], [
      { form: 'exec', args: [] },
      { form: 'exec', args: [''] },
    ]);
  });

  it('falls back to shell form for JSON inside a string and for nested arrays written with quotes', () => {
    const [, a, b] = instructions('FROM x\nCMD "[\\"a\\"]"\nRUN [ "echo", "unterminated ]\n');
    assert.equal(a.kind === 'CMD' && a.command.form, 'shell');
    assert.equal(b.kind === 'RUN' && b.command.form, 'shell');
  });

  it('refuses nested JSON arrays', () => {
    assertParseError('FROM x\nCMD [ "echo", [ "nested" ] ]\n', /arrays must be comprised of strings only/);
  });

  it('reads flags with quotes and stops at --', () => {
    const [, copy] = instructions('FROM x\nCOPY --chown="app user" -- --odd-name /dest\n');
    assert.deepEqual(copy.kind === 'COPY' && [copy.chown, copy.sources, copy.dest], ['app user', ['--odd-name'], '/dest']);
  });

  it('reads leading --words as flags even for CMD, which has none', () => {
    assertParseError('FROM x\nCMD --help\n', 'dockerfile parse error on line 2: unknown flag: --help');
  });

  it('keeps WORKDIR and USER text whole, blanks included', () => {
    const [, workdir, user] = instructions('FROM x\nWORKDIR /my app\nUSER  daemon \n');
    assert.deepEqual([workdir.kind === 'WORKDIR' && workdir.path, user.kind === 'USER' && user.user], ['/my app', 'daemon']);
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError } from '../../src/util/errors.js';
import { parseDockerfile, type Instruction } from '../../src/build/dockerfile/index.js';

/** The instructions of the only stage, without locations and originals. */
function stageOf(text: string): Array<Record<string, unknown>> {
  const df = parseDockerfile(text);
  assert.equal(df.stages.length, 1);
  return df.stages[0].instructions.map(strip);
}

function strip(ins: Instruction): Record<string, unknown> {
  const { loc: _loc, original: _original, ...rest } = ins;
  return rest;
}

function assertParseError(text: string, message: string | RegExp): void {
  assert.throws(
    () => parseDockerfile(text),
    (err: unknown) => {
      if (!isEngineError(err, 'InvalidArgument')) assert.fail(`expected InvalidArgument, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('Dockerfile parser: instructions', () => {
  it('reads instruction names in any case', () => {
    const df = parseDockerfile('from busybox\nrun echo hi\nWorkDir /app\n');
    assert.equal(df.stages[0].from.image, 'busybox');
    assert.deepEqual(df.stages[0].instructions.map((i) => i.kind), ['RUN', 'WORKDIR']);
  });

  it('keeps the shell form text and reads a JSON array as exec form', () => {
    assert.deepEqual(stageOf('FROM x\nRUN echo "a  b" && ls\nCMD ["sh", "-c", "echo hi"]\nENTRYPOINT ["/bin/app"]\n'), [
      { kind: 'RUN', command: { form: 'shell', text: 'echo "a  b" && ls' }, mounts: [], heredocs: [] },
      { kind: 'CMD', command: { form: 'exec', args: ['sh', '-c', 'echo hi'] } },
      { kind: 'ENTRYPOINT', command: { form: 'exec', args: ['/bin/app'] } },
    ]);
  });

  it('falls back to shell form when the JSON array is not valid JSON', () => {
    assert.deepEqual(stageOf("FROM x\nCMD ['single', 'quotes']\nCMD [\"unterminated\"\n"), [
      { kind: 'CMD', command: { form: 'shell', text: "['single', 'quotes']" } },
      { kind: 'CMD', command: { form: 'shell', text: '["unterminated"' } },
    ]);
  });

  it('refuses a JSON array holding anything but strings', () => {
    assertParseError('FROM x\nCMD ["a", 1]\n', 'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only');
  });

  it('records the line span and the original text of each instruction', () => {
    const df = parseDockerfile('FROM x\n\nRUN a \\\n  b\n', { file: 'app.Dockerfile' });
    const run = df.stages[0].instructions[0];
    assert.deepEqual(run.loc, { file: 'app.Dockerfile', line: 3, endLine: 4 });
    assert.equal(run.original, 'RUN a   b');
  });

  it('reads ENV pairs, quoted values and the legacy one-pair form', () => {
    assert.deepEqual(stageOf('FROM x\nENV A=1 B="two words" C=a\\ b\nENV LEGACY value with  spaces\n'), [
      { kind: 'ENV', pairs: [['A', '1'], ['B', '"two words"'], ['C', 'a\\ b']] },
      { kind: 'ENV', pairs: [['LEGACY', 'value with  spaces']] },
    ]);
  });

  it('reads LABEL pairs with quotes kept for expansion', () => {
    assert.deepEqual(stageOf('FROM x\nLABEL "com.example.vendor"="ACME" version=1.0 description="a b"\n'), [
      { kind: 'LABEL', pairs: [['"com.example.vendor"', '"ACME"'], ['version', '1.0'], ['description', '"a b"']] },
    ]);
  });

  it('reads several ARGs on one line, with and without defaults', () => {
    assert.deepEqual(stageOf('FROM x\nARG A B=2 C=\n'), [
      { kind: 'ARG', args: [{ name: 'A' }, { name: 'B', defaultValue: '2' }, { name: 'C', defaultValue: '' }] },
    ]);
  });

  it('reads EXPOSE ports, USER, WORKDIR, STOPSIGNAL, MAINTAINER and VOLUME', () => {
    assert.deepEqual(
      stageOf('FROM x\nEXPOSE 80 443/tcp 53/udp\nUSER app:app\nWORKDIR /srv/app\nSTOPSIGNAL SIGTERM\nMAINTAINER Jane <j@x>\nVOLUME /data /logs\nVOLUME ["/a b"]\n'),
      [
        { kind: 'EXPOSE', ports: ['80', '443/tcp', '53/udp'] },
        { kind: 'USER', user: 'app:app' },
        { kind: 'WORKDIR', path: '/srv/app' },
        { kind: 'STOPSIGNAL', signal: 'SIGTERM' },
        { kind: 'MAINTAINER', name: 'Jane <j@x>' },
        { kind: 'VOLUME', paths: ['/data', '/logs'] },
        { kind: 'VOLUME', paths: ['/a b'] },
      ],
    );
  });

  it('reads SHELL as a JSON array only', () => {
    assert.deepEqual(stageOf('FROM x\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'), [
      { kind: 'SHELL', shell: ['/bin/bash', '-o', 'pipefail', '-c'] },
    ]);
    assertParseError('FROM x\nSHELL /bin/bash -c\n', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form');
  });

  it('reads COPY and ADD with their flags', () => {
    assert.deepEqual(
      stageOf('FROM x\nCOPY --from=build --chown=app:app --chmod=0755 --link a b /dest/\nADD --keep-git-dir=true --checksum=sha256:abc https://x/y.tgz /y\n'),
      [
        { kind: 'COPY', sources: ['a', 'b'], dest: '/dest/', from: 'build', chown: 'app:app', chmod: '0755', link: true, excludes: [], heredocs: [] },
        { kind: 'ADD', sources: ['https://x/y.tgz'], dest: '/y', keepGitDir: true, checksum: 'sha256:abc', link: false, excludes: [], heredocs: [] },
      ],
    );
  });

  it('reads COPY in JSON form, --parents and repeated --exclude', () => {
    assert.deepEqual(stageOf('FROM x\nCOPY --parents --exclude=*.md --exclude=tmp/ ["a b", "c", "/dest"]\n'), [
      { kind: 'COPY', sources: ['a b', 'c'], dest: '/dest', parents: true, link: false, excludes: ['*.md', 'tmp/'], heredocs: [] },
    ]);
  });

  it('refuses COPY without a destination', () => {
    assertParseError(
      'FROM x\nCOPY onlyone\n',
      'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined',
    );
  });
});

describe('Dockerfile parser: stages', () => {
  it('reads FROM with a platform and a lower-cased stage name', () => {
    const df = parseDockerfile('FROM --platform=linux/amd64 golang:1.22 AS Builder\nFROM scratch\nCOPY --from=builder /x /x\n');
    assert.deepEqual(
      df.stages.map((s) => ({ index: s.index, name: s.name, image: s.from.image, platform: s.from.platform })),
      [
        { index: 0, name: 'builder', image: 'golang:1.22', platform: 'linux/amd64' },
        { index: 1, name: undefined, image: 'scratch', platform: undefined },
      ],
    );
    assert.equal(df.stages[1].instructions.length, 1);
  });

  it('keeps ARGs before the first FROM as global args', () => {
    const df = parseDockerfile('ARG VERSION=1.36\nARG BASE\nFROM busybox:${VERSION}\nARG VERSION\n');
    assert.deepEqual(df.globalArgs.map((a) => a.args), [[{ name: 'VERSION', defaultValue: '1.36' }], [{ name: 'BASE' }]]);
    assert.equal(df.stages[0].from.image, 'busybox:${VERSION}');
    assert.equal(df.stages[0].instructions[0].kind, 'ARG');
  });

  it('refuses an instruction before the first FROM', () => {
    assertParseError('ENV A=1\nFROM x\n', 'dockerfile parse error on line 1: no build stage in current context');
  });

  it('refuses FROM with two or four words', () => {
    assertParseError('FROM a b\n', 'dockerfile parse error on line 1: FROM requires either one or three arguments');
    assertParseError('FROM a AS b c\n', 'dockerfile parse error on line 1: FROM requires either one or three arguments');
  });

  it('refuses a stage name that starts with a digit or holds symbols', () => {
    assertParseError(
      'FROM a AS 1st\n',
      'dockerfile parse error on line 1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols',
    );
  });

  it('refuses two stages with the same name, whatever their case', () => {
    assertParseError('FROM a AS one\nFROM b AS ONE\n', 'dockerfile parse error on line 2: Duplicate stage name "one", stage names should be unique');
  });

  it('refuses a file without instructions or without stages', () => {
    assertParseError('', 'the Dockerfile cannot be empty');
    assertParseError('# only a comment\n\n', 'file with no instructions');
    assertParseError('ARG A=1\n', 'dockerfile contains no stages to build');
  });
});

describe('Dockerfile parser: errors', () => {
  it('names an unknown instruction and its line', () => {
    assertParseError('FROM x\nRUN true\nFROBNICATE bar\n', 'dockerfile parse error on line 3: unknown instruction: FROBNICATE');
  });

  it('suggests a close instruction name', () => {
    assertParseError('FROM x\nCOPPY a b\n', 'dockerfile parse error on line 2: unknown instruction: COPPY (did you mean COPY?)');
  });

  it('words ENV and LABEL mistakes as docker does', () => {
    assertParseError('FROM x\nENV =x\n', 'dockerfile parse error on line 2: ENV names can not be blank');
    assertParseError('FROM x\nENV a=1 x\n', 'dockerfile parse error on line 2: Syntax error - can\'t find = in "x". Must be of the form: name=value');
    assertParseError('FROM x\nENV onlyname\n', 'dockerfile parse error on line 2: ENV must have two arguments');
    assertParseError('FROM x\nENV\n', 'dockerfile parse error on line 2: ENV requires at least one argument');
    assertParseError('FROM x\nLABEL =x\n', 'dockerfile parse error on line 2: LABEL names can not be blank');
    assertParseError('FROM x\nARG =x\n', 'dockerfile parse error on line 2: ARG names can not be blank');
  });

  it('refuses unknown, duplicate and malformed flags', () => {
    assertParseError('FROM x\nCOPY --verbose=bar a b\n', 'dockerfile parse error on line 2: unknown flag: --verbose');
    assertParseError('FROM x\nCOPY --chmown=1 a b\n', 'dockerfile parse error on line 2: unknown flag: --chmown (did you mean chown?)');
    assertParseError('FROM x\nCOPY --from=a --from=b a b\n', 'dockerfile parse error on line 2: duplicate flag specified: --from');
    assertParseError('FROM x\nCOPY --from a b\n', 'dockerfile parse error on line 2: missing a value on flag: --from');
    assertParseError('FROM x\nCOPY --link=maybe a b\n', 'dockerfile parse error on line 2: expecting boolean value for flag --link, not: maybe');
    assertParseError('FROM x\nWORKDIR --chown=1 /x\n', 'dockerfile parse error on line 2: unknown flag: --chown');
  });

  it('requires exactly one argument for WORKDIR and USER', () => {
    assertParseError('FROM x\nWORKDIR\n', 'dockerfile parse error on line 2: WORKDIR requires exactly one argument');
    assertParseError('FROM x\nUSER\n', 'dockerfile parse error on line 2: USER requires exactly one argument');
  });
});

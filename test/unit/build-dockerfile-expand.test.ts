import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError } from '../../src/util/errors.js';
import { expandInstruction, expandWord, expandWords, parseDockerfile, type Instruction } from '../../src/build/dockerfile/index.js';

const vars = new Map([
  ['NAME', 'app'],
  ['EMPTY', ''],
  ['SPACED', 'a b'],
  ['PATH_', '/usr/local/bin:/usr/bin'],
  ['FILE', 'archive.tar.gz'],
]);

function expand(word: string, escape: '\\' | '`' = '\\'): string {
  return expandWord(word, vars, escape);
}

function firstInstruction(text: string): Instruction {
  return parseDockerfile(`FROM x\n${text}\n`).stages[0].instructions[0];
}

function assertExpandError(word: string, message: string): void {
  assert.throws(
    () => expand(word),
    (err: unknown) => isEngineError(err, 'InvalidArgument') && err.message === message,
  );
}

describe('variable expansion: words', () => {
  it('substitutes $V and ${V}; an unset variable becomes empty', () => {
    assert.equal(expand('$NAME-${NAME}.d/$UNSET/${UNSET}x'), 'app-app.d//x');
  });

  it('applies the :- - :+ + default and alternative forms', () => {
    assert.equal(expand('${UNSET:-def} ${EMPTY:-def} ${NAME:-def}'), 'def def app');
    assert.equal(expand('${UNSET-def}|${EMPTY-def}|${NAME-def}'), 'def||app');
    assert.equal(expand('${UNSET:+alt}|${EMPTY:+alt}|${NAME:+alt}'), '||alt');
    assert.equal(expand('${UNSET+alt}|${EMPTY+alt}|${NAME+alt}'), '|alt|alt');
    assert.equal(expand('${UNSET:-$NAME/x}'), 'app/x');
  });

  it('fails on ${V:?message} when V is unset or empty', () => {
    assertExpandError('${UNSET:?must be set}', 'failed to process "${UNSET:?must be set}": UNSET: must be set');
    assertExpandError('${EMPTY:?}', 'failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty');
    assertExpandError('${UNSET?}', 'failed to process "${UNSET?}": UNSET: is not allowed to be unset');
    assert.equal(expand('${NAME:?x}'), 'app');
  });

  it('removes prefixes and suffixes by pattern and replaces matches', () => {
    assert.equal(expand('${FILE#*.}'), 'tar.gz');
    assert.equal(expand('${FILE##*.}'), 'gz');
    assert.equal(expand('${FILE%.*}'), 'archive.tar');
    assert.equal(expand('${FILE%%.*}'), 'archive');
    assert.equal(expand('${PATH_/usr/opt}'), '/opt/local/bin:/usr/bin');
    assert.equal(expand('${PATH_//usr/opt}'), '/opt/local/bin:/opt/bin');
  });

  it('keeps single-quoted text literal and expands inside double quotes', () => {
    assert.equal(expand(`'$NAME' "$NAME" "a 'b'"`), '$NAME app a \'b\'');
  });

  it('honours the escape character, backslash or backtick', () => {
    assert.equal(expand('\\$NAME \\\\ "\\$NAME"'), '$NAME \\ $NAME');
    assert.equal(expand('`$NAME C:\\dir', '`'), '$NAME C:\\dir');
  });

  it('leaves a lone $ and $ before a non-name character alone', () => {
    assert.equal(expand('cost $ 5 $/x'), 'cost $ 5 $/x');
  });

  it('reports a malformed substitution', () => {
    assertExpandError('${NAME', 'failed to process "${NAME": syntax error: missing \'}\'');
    assertExpandError('${}', 'failed to process "${}": syntax error: bad substitution');
    assertExpandError('${NAME:=x}', 'failed to process "${NAME:=x}": unsupported modifier (:=) in substitution');
  });

  it('splits words after substitution, keeping quoted blanks', () => {
    assert.deepEqual(expandWords('$SPACED "c d" e', vars), ['a', 'b', 'c d', 'e']);
  });
});

describe('variable expansion: instructions', () => {
  it('expands ENV names and values and removes their quotes', () => {
    const env = expandInstruction(firstInstruction('ENV HOME_DIR=/home/$NAME GREETING="hello world" RAW=\'$NAME\''), vars);
    assert.deepEqual(env.kind === 'ENV' && env.pairs, [['HOME_DIR', '/home/app'], ['GREETING', 'hello world'], ['RAW', '$NAME']]);
  });

  it('expands COPY sources, destination and flags', () => {
    const copy = expandInstruction(firstInstruction('COPY --chown=$NAME:$NAME --chmod=${MODE:-644} src/$NAME /srv/${NAME}/'), vars);
    assert.ok(copy.kind === 'COPY');
    assert.deepEqual([copy.sources, copy.dest, copy.chown, copy.chmod], [['src/app'], '/srv/app/', 'app:app', '644']);
  });

  it('never expands RUN, CMD, ENTRYPOINT or HEALTHCHECK commands', () => {
    for (const text of ['RUN echo $NAME', 'CMD echo $NAME', 'ENTRYPOINT ["echo", "$NAME"]', 'HEALTHCHECK CMD echo $NAME']) {
      const ins = firstInstruction(text);
      assert.deepEqual(expandInstruction(ins, vars), ins);
    }
  });

  it('splits EXPOSE words after substitution', () => {
    const expose = expandInstruction(firstInstruction('EXPOSE ${PORTS} 53/udp'), new Map([['PORTS', '80 443']]));
    assert.deepEqual(expose.kind === 'EXPOSE' && expose.ports, ['80', '443', '53/udp']);
  });

  it('expands WORKDIR, USER, VOLUME, STOPSIGNAL, LABEL and ARG defaults', () => {
    const expanded = ['WORKDIR /srv/$NAME', 'USER $NAME', 'VOLUME /data/$NAME', 'STOPSIGNAL SIG${SIG:-TERM}', 'LABEL "name"="$NAME"', 'ARG DIR=/opt/$NAME'].map(
      (t) => {
        const { loc: _l, original: _o, ...rest } = expandInstruction(firstInstruction(t), vars);
        return rest;
      },
    );
    assert.deepEqual(expanded, [
      { kind: 'WORKDIR', path: '/srv/app' },
      { kind: 'USER', user: 'app' },
      { kind: 'VOLUME', paths: ['/data/app'] },
      { kind: 'STOPSIGNAL', signal: 'SIGTERM' },
      { kind: 'LABEL', pairs: [['name', 'app']] },
      { kind: 'ARG', args: [{ name: 'DIR', defaultValue: '/opt/app' }] },
    ]);
  });

  it('expands FROM with the global ARGs', () => {
    const df = parseDockerfile('ARG TAG=1.36\nFROM --platform=$P busybox:${TAG}\n');
    const from = expandInstruction(df.stages[0].from, new Map([['TAG', '1.36'], ['P', 'linux/arm64']]));
    assert.deepEqual([from.image, from.platform], ['busybox:1.36', 'linux/arm64']);
  });

  it('does not change the parsed instruction', () => {
    const ins = firstInstruction('WORKDIR /srv/$NAME');
    expandInstruction(ins, vars);
    assert.equal(ins.kind === 'WORKDIR' && ins.path, '/srv/$NAME');
  });

  it('uses the Dockerfile escape character', () => {
    const df = parseDockerfile('# escape=`\nFROM x\nWORKDIR C:\\app\\`$NAME\n');
    const workdir = expandInstruction(df.stages[0].instructions[0], vars, { escape: df.directives.escape });
    assert.equal(workdir.kind === 'WORKDIR' && workdir.path, 'C:\\app\\$NAME');
  });
});

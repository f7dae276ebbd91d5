import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyChanges } from '../../src/image/index.js';
import type { OciImageConfig } from '../../src/spec/oci-image.js';
import { isEngineError } from '../../src/util/errors.js';

function assertParseError(changes: string[], message: string | RegExp): void {
  assert.throws(
    () => applyChanges({}, changes),
    (err: unknown) => {
      if (!isEngineError(err, 'InvalidArgument')) assert.fail(`expected InvalidArgument, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('import changes', () => {
  it('keeps CMD in exec form and wraps shell form in /bin/sh -c', () => {
    assert.deepEqual(applyChanges({}, ['CMD ["echo", "hi"]']).Cmd, ['echo', 'hi']);
    assert.deepEqual(applyChanges({}, ['CMD echo "$HOME" && ls']).Cmd, ['/bin/sh', '-c', 'echo "$HOME" && ls']);
    assert.deepEqual(applyChanges({}, ['entrypoint [not json']).Entrypoint, ['/bin/sh', '-c', '[not json']);
  });

  it('drops an inherited CMD when ENTRYPOINT is set, unless CMD is set too', () => {
    const base: OciImageConfig = { Cmd: ['sh'] };
    assert.equal(applyChanges(base, ['ENTRYPOINT ["/app"]']).Cmd, undefined);
    assert.deepEqual(applyChanges(base, ['CMD ["--help"]', 'ENTRYPOINT ["/app"]']).Cmd, ['--help']);
    assert.deepEqual(base.Cmd, ['sh'], 'the base config is not modified');
  });

  it('sets ENV in both forms, replacing existing keys and expanding variables', () => {
    const base: OciImageConfig = { Env: ['PATH=/bin', 'A=1'] };
    const out = applyChanges(base, ['ENV A=2 B="two words" C=${PATH}:/sbin', 'ENV D legacy value here', "ENV E='$A'"]);
    assert.deepEqual(out.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=/bin:/sbin', 'D=legacy value here', 'E=$A']);
    assert.deepEqual(applyChanges({}, ['ENV X=${UNSET:-fallback} Y=${UNSET:+alt}']).Env, ['X=fallback', 'Y=']);
  });

  it('sets LABEL pairs with quotes and escapes', () => {
    const out = applyChanges({ Labels: { keep: 'me' } }, ['LABEL a=b "c d"="e f" g=h\\ i']);
    assert.deepEqual(out.Labels, { keep: 'me', a: 'b', 'c d': 'e f', g: 'h i' });
  });

  it('expands EXPOSE ports, protocols and ranges', () => {
    const out = applyChanges({}, ['EXPOSE 80 53/udp 8000-8001/TCP']);
    assert.deepEqual(Object.keys(out.ExposedPorts ?? {}).sort(), ['53/udp', '80/tcp', '8000/tcp', '8001/tcp']);
    assertParseError(['EXPOSE http'], 'dockerfile parse error: invalid containerPort: http');
    assertParseError(['EXPOSE 80/quic'], 'dockerfile parse error: invalid proto: quic');
  });

  it('adds VOLUME paths from JSON or words', () => {
    const out = applyChanges({}, ['VOLUME ["/data", "/logs"]', 'VOLUME /cache /tmp/x']);
    assert.deepEqual(Object.keys(out.Volumes ?? {}).sort(), ['/cache', '/data', '/logs', '/tmp/x']);
  });

  it('resolves a relative WORKDIR against the current one', () => {
    assert.equal(applyChanges({}, ['WORKDIR /app', 'WORKDIR src']).WorkingDir, '/app/src');
    assert.equal(applyChanges({}, ['WORKDIR rel']).WorkingDir, '/rel');
    assert.equal(applyChanges({ WorkingDir: '/x' }, ['WORKDIR /abs']).WorkingDir, '/abs');
  });

  it('sets USER, STOPSIGNAL and ONBUILD, validating signals and triggers', () => {
    const out = applyChanges({}, ['USER nobody:nogroup', 'STOPSIGNAL SIGINT', 'ONBUILD RUN echo hi']);
    assert.equal(out.User, 'nobody:nogroup');
    assert.equal(out.StopSignal, 'SIGINT');
    assert.deepEqual(out.OnBuild, ['RUN echo hi']);
    assert.equal(applyChanges({}, ['STOPSIGNAL 9']).StopSignal, '9');
    assertParseError(['STOPSIGNAL SIGNOPE'], 'dockerfile parse error: Invalid signal: SIGNOPE');
    assertParseError(['ONBUILD ONBUILD RUN x'], /ONBUILD ONBUILD/);
    assertParseError(['ONBUILD FROM x'], /FROM isn't allowed as an ONBUILD trigger/);
  });

  it('refuses instructions that are not metadata changes', () => {
    assertParseError(['RUN echo hi'], 'dockerfile parse error: unknown instruction: RUN');
    assertParseError(['copy a b'], 'dockerfile parse error: unknown instruction: COPY');
    assertParseError(['FOO bar'], 'dockerfile parse error: unknown instruction: FOO');
  });

  it('refuses instructions without arguments and malformed pairs', () => {
    assertParseError(['CMD'], 'dockerfile parse error: CMD requires at least one argument');
    assertParseError(['LABEL a=b c'], /can't find = in "c"/);
    assertParseError(['ENV ="x"'], 'dockerfile parse error: ENV names can not be blank');
  });

  it('reads the changes as one Dockerfile with continuations and comments', () => {
    const out = applyChanges({}, ['# a comment', 'LABEL a=1 \\', '  b=2', '', 'cmd ["x"]']);
    assert.deepEqual(out.Labels, { a: '1', b: '2' });
    assert.deepEqual(out.Cmd, ['x']);
  });
});

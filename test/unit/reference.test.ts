import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError } from '../../src/util/errors.js';
import {
  familiarize,
  familiarName,
  isValidTag,
  normalizeReference,
  parseReference,
  referenceString,
} from '../../src/util/reference.js';

const hex = 'a'.repeat(64);

function assertInvalid(input: string, message: string | RegExp): void {
  assert.throws(
    () => parseReference(input),
    (err: unknown) => {
      if (!isEngineError(err, 'InvalidArgument')) assert.fail(`expected InvalidArgument for ${JSON.stringify(input)}, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('image references', () => {
  it('normalizes an official image name to docker.io/library with the latest tag', () => {
    assert.equal(normalizeReference('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalizeReference('busybox:1.36'), 'docker.io/library/busybox:1.36');
    assert.equal(normalizeReference('docker.io/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalizeReference('index.docker.io/library/busybox'), 'docker.io/library/busybox:latest');
  });

  it('normalizes a user repository to docker.io without library', () => {
    assert.equal(normalizeReference('user/app'), 'docker.io/user/app:latest');
    assert.equal(normalizeReference('user/app/sub:v2'), 'docker.io/user/app/sub:v2');
  });

  it('keeps registries with ports, localhost and IPv6 hosts as domains', () => {
    assert.equal(normalizeReference('localhost:5000/x'), 'localhost:5000/x:latest');
    assert.equal(normalizeReference('localhost/x:1'), 'localhost/x:1');
    assert.equal(normalizeReference('registry.example.com/a/b:c'), 'registry.example.com/a/b:c');
    assert.equal(normalizeReference('[::1]:5000/x'), '[::1]:5000/x:latest');
    assert.equal(parseReference('Example.COM/x').domain, 'Example.COM');
  });

  it('parses digests and keeps a tag written beside one', () => {
    const ref = parseReference(`busybox:1@sha256:${hex}`);
    assert.deepEqual(ref, { domain: 'docker.io', path: 'library/busybox', tag: '1', digest: `sha256:${hex}` });
    assert.equal(normalizeReference(`busybox@sha256:${hex}`), `docker.io/library/busybox@sha256:${hex}`);
  });

  it('gives the familiar form back', () => {
    assert.equal(familiarize('docker.io/library/busybox:latest'), 'busybox:latest');
    assert.equal(familiarize('docker.io/user/app:1'), 'user/app:1');
    assert.equal(familiarize('localhost:5000/x:1'), 'localhost:5000/x:1');
    assert.equal(familiarize(`docker.io/library/busybox@sha256:${hex}`), `busybox@sha256:${hex}`);
    assert.equal(familiarName(parseReference('docker.io/library/a/b')), 'library/a/b');
    assert.equal(referenceString(parseReference('busybox')), 'docker.io/library/busybox');
  });

  it('refuses upper case in the repository with the path Docker names', () => {
    assertInvalid('Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase');
    assertInvalid('user/App:1', 'invalid reference format: repository name (user/App) must be lowercase');
  });

  it('refuses malformed references with invalid reference format', () => {
    for (const bad of ['busybox:', 'a b', '-x', 'x/', 'busybox:tag!', 'bad_host.com/x', ':latest', 'busybox@sha256:abc']) {
      assertInvalid(bad, /^invalid reference format/);
    }
    assertInvalid(`x:${'t'.repeat(129)}`, 'invalid reference format');
  });

  it('refuses bad digests, 64-hex names, empty and overlong names', () => {
    assertInvalid(`busybox@sha256:${'a'.repeat(40)}`, /invalid checksum digest length/);
    assertInvalid(`busybox@sha256:${'A'.repeat(64)}`, /invalid checksum digest format/);
    assertInvalid(`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/);
    assertInvalid(hex, `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`);
    assertInvalid('', /must have at least one component/);
    assertInvalid(`a/${'b'.repeat(260)}`, /must not be more than 255 characters/);
  });

  it('accepts tags of word characters, dots and dashes up to 128 long', () => {
    assert.ok(isValidTag('latest'));
    assert.ok(isValidTag('v1.2_rc-3'));
    assert.ok(isValidTag('A'.repeat(128)));
    assert.ok(!isValidTag('-x'));
    assert.ok(!isValidTag('.x'));
    assert.ok(!isValidTag('a'.repeat(129)));
    assert.ok(!isValidTag(''));
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEngineError } from '../../src/util/errors.js';
import { parseDockerfile } from '../../src/build/dockerfile/index.js';

// Compiled to build/test/unit/; the fixtures stay in the source tree.
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dockerfiles');

describe('Dockerfile fixtures', () => {
  const cases = readdirSync(fixtures).filter((name) => name !== 'errors');
  for (const name of cases) {
    it(`parses ${name} into the recorded stages`, () => {
      const dockerfile = parseDockerfile(readFileSync(join(fixtures, name, 'Dockerfile'), 'utf8'));
      const expected: unknown = JSON.parse(readFileSync(join(fixtures, name, 'expected.json'), 'utf8'));
      assert.deepEqual(JSON.parse(JSON.stringify(dockerfile)), expected);
    });
  }

  const errors = join(fixtures, 'errors');
  const messages = JSON.parse(readFileSync(join(errors, 'expected.json'), 'utf8')) as Record<string, string>;
  for (const [file, message] of Object.entries(messages)) {
    it(`refuses ${file} with docker's message`, () => {
      assert.throws(
        () => parseDockerfile(readFileSync(join(errors, file), 'utf8')),
        (err: unknown) => isEngineError(err, 'InvalidArgument') && err.message === message,
      );
    });
  }

  it('has an expected message for every error fixture', () => {
    const files = readdirSync(errors).filter((f) => f.endsWith('.Dockerfile')).sort();
    assert.deepEqual(files, Object.keys(messages).sort());
  });
});

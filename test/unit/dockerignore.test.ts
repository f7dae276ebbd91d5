import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError } from '../../src/util/errors.js';
import {
  cleanPath,
  compileIgnorePatterns,
  isIgnored,
  mayContainIncluded,
  parseDockerignore,
  readDockerignorePatterns,
} from '../../src/util/dockerignore.js';

function ignored(patterns: string | string[], path: string): boolean {
  const rules = typeof patterns === 'string' ? parseDockerignore(patterns) : compileIgnorePatterns(patterns);
  return isIgnored(rules, path);
}

describe('.dockerignore: reading the file', () => {
  it('skips comments and blank lines, trims and cleans patterns, drops a leading slash', () => {
    const text = '\uFEFF# comment\n\n  node_modules/  \n/build/./out/\n!  /keep.txt\r\na/../b\n #not a comment\n';
    assert.deepEqual(readDockerignorePatterns(text), ['node_modules', 'build/out', '!keep.txt', 'b', '#not a comment']);
  });

  it('cleans paths as Go filepath.Clean does', () => {
    assert.deepEqual(['', '.', 'a//b/', './a', 'a/b/..', '/..', '/'].map(cleanPath), ['.', '.', 'a/b', 'a', 'a', '/', '/']);
  });

  it('refuses patterns Go filepath.Match calls malformed', () => {
    for (const bad of ['a[', 'abc\\', '[]', '[a-]', '[-a]', '[z-']) {
      assert.throws(() => compileIgnorePatterns([bad]), (err: unknown) => isEngineError(err, 'InvalidArgument') && /syntax error in pattern/.test(err.message), bad);
    }
    for (const good of ['[\\]a]', '[\\-]', '[^a]b', 'a]b', '[a-c]*', '\\[x\\]']) assert.doesNotThrow(() => compileIgnorePatterns([good]), good);
  });

  it('refuses a lone ! pattern', () => {
    assert.throws(() => parseDockerignore('!\n'), (err: unknown) => isEngineError(err, 'InvalidArgument') && err.message === 'illegal exclusion pattern: "!"');
  });
});

describe('.dockerignore: matching', () => {
  it('matches names exactly and everything below a matched directory', () => {
    assert.equal(ignored('docs', 'docs'), true);
    assert.equal(ignored('docs', 'docs/a/b.md'), true);
    assert.equal(ignored('docs', 'docsx'), false);
    assert.equal(ignored('docs', 'sub/docs'), false);
  });

  it('never ignores the context root', () => {
    assert.equal(ignored('*', '.'), false);
    assert.equal(ignored('*', ''), false);
  });

  it('keeps * and ? inside one path segment', () => {
    assert.equal(ignored('*.go', 'main.go'), true);
    assert.equal(ignored('*.go', 'cmd/main.go'), false);
    assert.equal(ignored('a*/b', 'abc/b'), true);
    assert.equal(ignored('a*/b', 'a/c/b'), false);
    assert.equal(ignored('a?b', 'a/b'), false);
    assert.equal(ignored('a?b', 'a☺b'), true);
    assert.equal(ignored('*/*.md', 'docs/x.md'), true);
  });

  it('lets ** match any number of directories, including none', () => {
    const cases: Array<[string, string, boolean]> = [
      ['**', 'any/thing', true],
      ['**/*.txt', 'file.txt', true],
      ['**/*.txt', 'a/b/file.txt', true],
      ['**/foo/bar', 'foo/bar', true],
      ['**/foo/bar', 'x/y/foo/bar', true],
      ['dir/**', 'dir/a/b', true],
      ['abc/**', 'abc', false],
      ['a**/*.txt', 'a/dir/dir/file.txt', true],
      ['**/.foo', 'bar.foo', false],
      ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ];
    for (const [pattern, path, want] of cases) assert.equal(ignored([pattern], path), want, `${pattern} vs ${path}`);
  });

  it('supports character classes and backslash escapes', () => {
    assert.equal(ignored(['a[b-d]e'], 'ace'), true);
    assert.equal(ignored(['a[b-d]e'], 'aae'), false);
    assert.equal(ignored(['a[^b-d]e'], 'aze'), true);
    assert.equal(ignored(['a\\*b'], 'a*b'), true);
    assert.equal(ignored(['a\\*b'], 'axb'), false);
    assert.equal(ignored(['[\\]a]'], ']'), true);
  });

  it('treats regular-expression characters literally', () => {
    assert.equal(ignored(['abc.def'], 'abcZdef'), false);
    assert.equal(ignored(['a(b)c/def'], 'a(b)c/def'), true);
    assert.equal(ignored(['a.|)$(}+{bc'], 'a.|)$(}+{bc'), true);
    assert.equal(ignored(['dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'), true);
    assert.equal(ignored(['a]b'], 'a]b'), true);
  });

  it('re-includes with ! and lets the later pattern win', () => {
    assert.equal(ignored('*.md\n!README.md\n', 'README.md'), false);
    assert.equal(ignored('*.md\n!README.md\n', 'CHANGES.md'), true);
    assert.equal(ignored('!README.md\n*.md\n', 'README.md'), true);
    assert.equal(ignored('docs\n!docs/README.md\n', 'docs/README.md'), false);
    assert.equal(ignored('docs\n!docs/README.md\n', 'docs/other.md'), true);
    assert.equal(ignored('**\n!util/docker/web\n', 'util/docker/web/foo'), false);
    assert.equal(ignored('**\n!util/docker/web\nutil/docker/web/foo\n', 'util/docker/web/foo'), true);
  });

  it('accepts paths with a leading slash or ./', () => {
    assert.equal(ignored('secret', '/secret'), true);
    assert.equal(ignored('secret', './secret/key'), true);
  });
});

describe('.dockerignore: skipping directories while walking', () => {
  it('lets a walker skip an ignored directory when no exception exists', () => {
    assert.equal(mayContainIncluded(parseDockerignore('node_modules\n'), 'node_modules'), false);
  });

  it('descends when an exception names something below the directory', () => {
    const rules = parseDockerignore('docs\n!docs/README.md\n');
    assert.equal(mayContainIncluded(rules, 'docs'), true);
    assert.equal(mayContainIncluded(parseDockerignore('*\n!src/app/*.ts\n'), 'src'), true);
    assert.equal(mayContainIncluded(parseDockerignore('*\n!src/app/*.ts\n'), 'src/app'), true);
  });

  it('skips a directory that no exception can reach', () => {
    const rules = parseDockerignore('*\n!src/app/*.ts\n');
    assert.equal(mayContainIncluded(rules, 'vendor'), false);
    assert.equal(mayContainIncluded(rules, 'src/other'), false);
  });

  it('descends everywhere for an exception with **', () => {
    assert.equal(mayContainIncluded(parseDockerignore('*\n!**/*.go\n'), 'deep/down'), true);
  });
});

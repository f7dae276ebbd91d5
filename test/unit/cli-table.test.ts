import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { displayWidth, renderTable, tabwrite } from '../../src/cli/table.js';

test('columns are padded to the widest cell plus three spaces', () => {
  const out = renderTable([
    ['CONTAINER ID', 'IMAGE', 'NAMES'],
    ['0123456789ab', 'busybox', 'web'],
  ]);
  assert.equal(out, 'CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   web\n');
});

test('a column is never narrower than ten characters', () => {
  assert.equal(renderTable([['ID', 'X'], ['a', 'b']]), 'ID        X\na         b\n');
});

test('the last cell of a line is not padded', () => {
  const out = renderTable([['a', 'short'], ['b', 'a much longer last cell']]);
  assert.equal(out, 'a         short\nb         a much longer last cell\n');
});

test('a cell before a trailing tab is padded, leaving trailing spaces as Go does', () => {
  assert.equal(tabwrite('a\tb\t\nccc\td\t\n'), 'a         b         \nccc       d         \n');
});

test('a line without tabs ends a column block', () => {
  const out = tabwrite('aaaaaaaaaaaa\tb\nplain line\nx\ty\n');
  assert.equal(out, 'aaaaaaaaaaaa   b\nplain line\nx         y\n');
});

test('a column spans only the consecutive lines that have it', () => {
  // Go's doc example: b and c are in different columns because the line "a\t" has no second cell.
  const out = tabwrite('aaaa\tbbbbbbbbbbbbbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n');
  assert.equal(
    out,
    'aaaa      bbbbbbbbbbbbbbb   d\n' + 'aa        b                 dd\n' + 'a         \n' + 'aa        cccc      eee\n',
  );
});

test('text without a final newline keeps its last line unterminated', () => {
  assert.equal(tabwrite('a\tb'), 'a         b');
  assert.equal(tabwrite('a\t'), 'a');
});

test('wide characters count as two columns', () => {
  assert.equal(displayWidth('日本'), 4);
  assert.equal(displayWidth('e\u0301'), 1);
  assert.equal(renderTable([['日本語のなまえ', 'x'], ['a', 'y']]), '日本語のなまえ   x\na                y\n');
});

test('custom options change width, padding and pad character', () => {
  assert.equal(tabwrite('a\tb\nccc\td\n', { minWidth: 0, padding: 1, padChar: '.' }), 'a...b\nccc.d\n');
});

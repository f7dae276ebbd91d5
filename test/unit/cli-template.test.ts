import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  TemplateError,
  formatRows,
  goJson,
  isTableFormat,
  parseTemplate,
  prepareFormat,
} from '../../src/cli/template.js';

const run = (src: string, data: unknown): string => parseTemplate(src).execute(data);

const container = {
  ID: '0123456789ab',
  Names: 'web',
  Image: 'busybox',
  State: 'running',
  Args: ['-c', 'sleep 10'],
  Labels: { 'com.example.tier': 'front', app: 'shop' },
  Config: { Env: ['A=1'], Cmd: null },
  Count: 3,
};

test('fields, nested fields and dot print their values', () => {
  assert.equal(run('{{.Names}}', container), 'web');
  assert.equal(run('id={{.ID}} image={{.Image}}', container), 'id=0123456789ab image=busybox');
  assert.equal(run('{{.Config.Env}}', container), '[A=1]');
  assert.equal(run('{{.}}', 'plain'), 'plain');
  assert.equal(run('{{.Count}}', container), '3');
});

test('a missing key prints <no value> and nil prints <nil>', () => {
  assert.equal(run('{{.Nope}}', container), '<no value>');
  assert.equal(run('{{.Nope.Deeper}}', container), '<no value>');
  assert.equal(run('{{.Config.Cmd}}', container), '<nil>');
});

test('maps print as Go maps with sorted keys', () => {
  assert.equal(run('{{.Labels}}', container), 'map[app:shop com.example.tier:front]');
  assert.equal(run('{{.a}}', new Map([['a', 'from a Map']])), 'from a Map');
});

test('json encodes compactly in key order without HTML escaping, as docker does', () => {
  assert.equal(run('{{json .Config}}', container), '{"Env":["A=1"],"Cmd":null}');
  assert.equal(run('{{json .}}', { a: '<b>&"x"', n: 1.5, t: true }), '{"a":"<b>&\\"x\\"","n":1.5,"t":true}');
  assert.equal(run('{{json .Missing}}', container), 'null');
});

test('goJson matches encoding/json escaping', () => {
  assert.equal(goJson({ s: '<a>&' }), '{"s":"\\u003ca\\u003e\\u0026"}');
  assert.equal(goJson('\u0001\b\f\n\r\t\u2028'), '"\\u0001\\b\\f\\n\\r\\t\\u2028"');
  assert.equal(goJson(new Map<string, unknown>([['b', 1], ['a', [1, 'x']]])), '{"a":[1,"x"],"b":1}');
  assert.equal(goJson({ skip: undefined, keep: null, d: new Date(0) }), '{"keep":null,"d":"1970-01-01T00:00:00.000Z"}');
});

test('docker string functions behave as in docker/cli', () => {
  assert.equal(run('{{join .Args ","}}', container), '-c,sleep 10');
  assert.equal(run('{{upper .Names}} {{lower "ABC"}}', container), 'WEB abc');
  assert.equal(run('{{title "hello wide world"}}', container), 'Hello Wide World');
  assert.equal(run('{{split "a,b,c" ","}}', container), '[a b c]');
  assert.equal(run('{{truncate .ID 5}}', container), '01234');
  assert.equal(run('{{truncate "ab" 5}}', container), 'ab');
  assert.equal(run('[{{pad .Names 1 2}}]', container), '[ web  ]');
  assert.equal(run('[{{pad "" 1 2}}]', container), '[]');
});

test('pipelines pass the value as the last argument', () => {
  assert.equal(run('{{.Names | upper}}', container), 'WEB');
  assert.equal(run('{{.Names | printf "name=%s"}}', container), 'name=web');
  assert.equal(run('{{"x" | printf "%s-%s" "a"}}', container), 'a-x');
});

test('index reads maps and slices; a missing label is empty', () => {
  assert.equal(run('{{index .Labels "com.example.tier"}}', container), 'front');
  assert.equal(run('[{{index .Labels "absent"}}]', container), '[]');
  assert.equal(run('{{index .Args 1}}', container), 'sleep 10');
  assert.equal(run('{{index .M "k"}}', { M: new Map([['k', 'v']]) }), 'v');
});

test('len counts bytes of strings and items of collections', () => {
  assert.equal(run('{{len .Args}} {{len .Labels}} {{len "héllo"}}', container), '2 2 6');
});

test('printf supports %s %d %v %q, widths and Go error markers', () => {
  assert.equal(run('{{printf "%s %d" .Names .Count}}', container), 'web 3');
  assert.equal(run('{{printf "%v|%q" .Args .Names}}', container), '[-c sleep 10]|"web"');
  assert.equal(run('{{printf "%-5s|%5s|%03d" "ab" "cd" 7}}', container), 'ab   |   cd|007');
  assert.equal(run('{{printf "%d" "x"}}', container), '%!d(string=x)');
  assert.equal(run('{{printf "%s %s" "a"}}', container), 'a %!s(MISSING)');
  assert.equal(run('{{printf "%.2f%%" 12.345}}', container), '12.35%');
});

test('print and println space their operands as Go does', () => {
  assert.equal(run('{{print "a" "b" 1 2}}', container), 'ab1 2');
  assert.equal(run('{{println .Names 3}}', container), 'web 3\n');
});

test('if, else if and else pick a branch by Go truth', () => {
  const t = '{{if eq .State "running"}}up{{else if eq .State "exited"}}down{{else}}other{{end}}';
  assert.equal(run(t, { State: 'running' }), 'up');
  assert.equal(run(t, { State: 'exited' }), 'down');
  assert.equal(run(t, { State: 'created' }), 'other');
  assert.equal(run('{{if .Labels}}labels{{end}}{{if .Empty}}no{{end}}', { ...container, Empty: {} }), 'labels');
  assert.equal(run('{{if not .Nope}}absent{{end}}', container), 'absent');
});

test('range iterates slices and maps, binding dot and variables', () => {
  assert.equal(run('{{range .Args}}<{{.}}>{{end}}', container), '<-c><sleep 10>');
  assert.equal(run('{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', container), 'app=shop;com.example.tier=front;');
  assert.equal(run('{{range $i, $a := .Args}}{{$i}}:{{$a}} {{end}}', container), '0:-c 1:sleep 10 ');
  assert.equal(run('{{range .None}}x{{else}}empty{{end}}', container), 'empty');
  assert.equal(run('{{range .Args}}{{if eq . "-c"}}{{continue}}{{end}}{{.}}{{break}}{{end}}', container), 'sleep 10');
});

test('variables are declared, assigned and reach the root with $', () => {
  assert.equal(run('{{$n := .Names}}{{$n}}-{{$n = "b"}}{{$n}}', container), 'web-b');
  assert.equal(run('{{range .Args}}{{$.Names}}{{end}}', container), 'webweb');
  assert.equal(run('{{with .Config}}{{.Env}}{{end}}', container), '[A=1]');
});

test('comparisons and logic follow Go', () => {
  assert.equal(run('{{lt 1 2}} {{ge 2 2}} {{ne "a" "b"}} {{eq .Count 1 2 3}}', container), 'true true true true');
  assert.equal(run('{{and .Names .Nope}}|{{or .Nope "fallback"}}|{{and 1 2}}', container), '<no value>|fallback|2');
});

test('trim markers remove the whitespace beside an action', () => {
  assert.equal(run('a  {{- .Names -}}  b', container), 'awebb');
  assert.equal(run('{{range .Args -}}\n  {{.}}\n{{- end}}', container), '-csleep 10');
  assert.equal(run('x {{/* a comment */}} y', container), 'x  y');
  assert.equal(run('{{3 -}} {{- -4}}', container), '3-4');
});

test('string and number literals work, including escapes and raw strings', () => {
  assert.equal(run('{{"a\\tb"}}|{{`raw\\t`}}|{{1.5}}|{{0x10}}|{{true}}', container), 'a\tb|raw\\t|1.5|16|true');
});

test('function-valued fields are called as methods with arguments', () => {
  const row = { Label: (k: string) => (k === 'app' ? 'shop' : ''), Size: () => '1kB' };
  assert.equal(run('{{.Label "app"}}/{{.Size}}', row), 'shop/1kB');
});

test('parse errors carry the docker prefix and Go wording', () => {
  const parseError = (src: string, message: string) =>
    assert.throws(() => parseTemplate(src), (err: unknown) => err instanceof TemplateError && err.message === message);
  parseError('{{.Foo}', 'template parsing error: template: :1: unexpected "}" in operand');
  parseError('{{foo .}}', 'template parsing error: template: :1: function "foo" not defined');
  parseError('{{if .X}}', 'template parsing error: template: :1: unexpected EOF');
  parseError('{{end}}', 'template parsing error: template: :1: unexpected {{end}}');
  parseError('a\n{{$x}}', 'template parsing error: template: :2: undefined variable "$x"');
  parseError('{{.A', 'template parsing error: template: :1: unclosed action');
  parseError('{{}}', 'template parsing error: template: :1: missing value for command');
});

test('execution errors name the position and the failing node', () => {
  assert.throws(() => run('{{.Names.Foo}}', container), {
    message: `template: :1:2: executing "" at <.Names.Foo>: can't evaluate field Foo in type string`,
  });
  assert.throws(() => run('ok {{index .Args 5}}', container), {
    message: 'template: :1:5: executing "" at <index .Args 5>: error calling index: index out of range: 5',
  });
  assert.throws(() => run('{{upper 1 2}}', container), {
    message: 'template: :1:2: executing "" at <upper 1 2>: wrong number of args for upper: want 1 got 2',
  });
  assert.throws(() => run('{{upper .Count}}', container), /wrong type for value; expected string; got int/);
  assert.throws(() => run('{{eq "a" 1}}', container), /incompatible types for comparison/);
});

test('isTableFormat and prepareFormat follow docker preFormat', () => {
  assert.equal(isTableFormat('table {{.ID}}'), true);
  assert.equal(isTableFormat('{{.ID}}'), false);
  assert.deepEqual(prepareFormat('table {{.ID}}\\t{{.Names}}'), { source: '{{.ID}}\t{{.Names}}', table: true });
  assert.deepEqual(prepareFormat('{{.ID}}\\n'), { source: '{{.ID}}\n', table: false });
  assert.deepEqual(prepareFormat('json'), { source: '{{json .}}', table: false });
});

const rows = [
  { ID: '0123456789ab', Names: 'web', Image: 'nginx' },
  { ID: 'ba9876543210', Names: 'database-primary', Image: 'postgres' },
];
const listOptions = {
  header: { ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE' },
  tableFormat: 'table {{.ID}}\t{{.Image}}\t{{.Names}}',
};

test('a table format prints an aligned header and rows, as docker ps --format', () => {
  const out = formatRows('table {{.ID}}\\t{{.Names}}', rows, listOptions);
  assert.equal(
    out,
    'CONTAINER ID   NAMES\n' + '0123456789ab   web\n' + 'ba9876543210   database-primary\n',
  );
});

test('the header row keeps column names through docker header functions', () => {
  const out = formatRows('table {{.Names | upper}}\\t{{truncate .ID 4}}', rows.slice(0, 1), listOptions);
  assert.equal(out, 'NAMES     CONTAINER ID\nWEB       0123\n');
});

test('an empty or bare table format uses the command default, with a header even without rows', () => {
  const expected = 'CONTAINER ID   IMAGE     NAMES\n0123456789ab   nginx     web\n';
  assert.equal(formatRows('', rows.slice(0, 1), listOptions), expected);
  assert.equal(formatRows('table', rows.slice(0, 1), listOptions), expected);
  assert.equal(formatRows('table', [], listOptions), 'CONTAINER ID   IMAGE     NAMES\n');
});

test('json prints one object per line and plain templates one line per row', () => {
  assert.equal(
    formatRows('json', rows, listOptions),
    '{"ID":"0123456789ab","Names":"web","Image":"nginx"}\n' +
      '{"ID":"ba9876543210","Names":"database-primary","Image":"postgres"}\n',
  );
  assert.equal(formatRows('{{.Names}}', rows, listOptions), 'web\ndatabase-primary\n');
  assert.equal(formatRows('{{.Names}}', [], listOptions), '');
});

test('list formatting reports execution errors with the template parsing prefix', () => {
  assert.throws(() => formatRows('{{.Names.X}}', rows, listOptions), /^TemplateError: template parsing error: template: :1:2: executing/);
});

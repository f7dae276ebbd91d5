// Keeps the layer table true: every import edge in src/ must be one the table allows.
// The table is the one in the design notes; cli and compose reach the daemon only
// through client/, and nothing imports upward.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ts from 'typescript';

/** A layer: a folder under src/, except bin/, whose two entry points differ. */
type Layer =
  | 'bin/berth' | 'bin/berthd' | 'bin'
  | 'spec' | 'cli' | 'client' | 'api' | 'engine' | 'container' | 'runtime' | 'image'
  | 'distribution' | 'registry' | 'build' | 'network' | 'volume' | 'compose' | 'store' | 'util';

const FOLDERS = new Set([
  'bin', 'spec', 'cli', 'client', 'api', 'engine', 'container', 'runtime', 'image',
  'distribution', 'registry', 'build', 'network', 'volume', 'compose', 'store', 'util',
]);

const SERVICES = ['container', 'runtime', 'image', 'distribution', 'registry', 'build', 'network', 'volume', 'store'];

/** Which other folders a layer may import (its own folder is always allowed). */
const ALLOWED: Record<Layer, readonly string[]> = {
  'bin/berth': ['cli'],
  'bin/berthd': ['api', 'engine', 'registry', 'util'],
  bin: [], // any other file in bin/ is a helper of the entry points and imports nothing else
  cli: ['client', 'spec', 'util'],
  compose: ['client', 'spec', 'util'],
  client: ['spec', 'util'],
  api: ['engine', 'spec', 'util'],
  engine: [...SERVICES, 'spec', 'util'],
  container: ['runtime', 'image', 'spec', 'util'],
  build: ['image', 'store', 'spec', 'util'],
  image: ['store', 'spec', 'util'],
  distribution: ['store', 'spec', 'util'],
  registry: ['store', 'spec', 'util'],
  network: ['spec', 'util'],
  volume: ['spec', 'util'],
  runtime: ['spec', 'util'],
  store: ['spec', 'util'],
  spec: [],
  util: [],
};

/** Layers that may not use npm packages: util takes node builtins only, spec is types only. */
const NO_PACKAGES = new Set<Layer>(['util', 'spec']);

export interface SourceFile {
  /** Path relative to src/, with forward slashes: "cli/run.ts". */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

export interface ImportRef {
  specifier: string | null; // null: a dynamic import whose argument is not a string literal
  line: number;
}

function layerOf(path: string): Layer | null {
  const [folder, ...rest] = path.split('/');
  if (rest.length === 0 || !FOLDERS.has(folder)) return null;
  if (folder === 'bin' && rest.length === 1) {
    if (/^berth\.(ts|js)$/.test(rest[0])) return 'bin/berth';
    if (/^berthd\.(ts|js)$/.test(rest[0])) return 'bin/berthd';
  }
  return folder as Layer;
}

/** Every module specifier a file names: import/export from, import type, import(), require(), import x = require(). */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const add = (node: ts.Node, expr: ts.Node | undefined): void => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    if (expr && ts.isStringLiteralLike(expr)) found.push({ specifier: expr.text, line });
    else found.push({ specifier: null, line });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require' && node.arguments.length === 1;
      if (isDynamicImport || isRequire) add(node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Checks one edge; returns the broken rule, or null when the table allows it. */
function ruleBroken(from: string, fromLayer: Layer, specifier: string): string | null {
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return null;
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(from), specifier));
    if (target === '..' || target.startsWith('../')) return 'imports in src/ must stay inside src/';
    const targetFolder = target.split('/')[0];
    if (targetFolder === from.split('/')[0]) return null;
    const targetLayer = layerOf(target);
    if (targetLayer === null) return `'${targetFolder}' is not a folder of the layer table`;
    const allowed = ALLOWED[fromLayer];
    if (allowed.includes(targetFolder)) return null;
    const may = allowed.length ? `may import only ${allowed.join(', ')}` : 'may import nothing outside its folder';
    return `${fromLayer} → ${targetFolder} is not allowed (${fromLayer} ${may})`;
  }
  if (specifier.startsWith('/') || specifier.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) {
    return 'only relative paths, node: builtins and npm packages may be imported';
  }
  if (NO_PACKAGES.has(fromLayer)) {
    return fromLayer === 'util'
      ? 'util may import only node: builtins, not npm packages'
      : 'spec holds types only and may import no npm package';
  }
  return null;
}

/** All violations of the layer table in a set of files (paths relative to src/). */
export function checkImports(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const fromLayer = layerOf(file.path);
    if (fromLayer === null) {
      violations.push({ file: file.path, line: 0, specifier: '', rule: 'file is outside every folder of the layer table' });
      continue;
    }
    for (const ref of importsOf(file.path, file.text)) {
      if (ref.specifier === null) {
        violations.push({ file: file.path, line: ref.line, specifier: '<computed>', rule: 'dynamic import() needs a string literal so its edge can be checked' });
        continue;
      }
      const rule = ruleBroken(file.path, fromLayer, ref.specifier);
      if (rule) violations.push({ file: file.path, line: ref.line, specifier: ref.specifier, rule });
    }
  }
  return violations;
}

function describe(v: Violation): string {
  return `src/${v.file}${v.line ? `:${v.line}` : ''}${v.specifier ? ` imports '${v.specifier}'` : ''}: ${v.rule}`;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('import-directions: no package.json above the test file');
    dir = up;
  }
}

function sourcesUnder(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.ts')) {
        files.push({ path: relative(root, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
      }
    }
  };
  walk(root);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

test('every import in src/ follows the layer table', () => {
  const files = sourcesUnder(join(repoRoot(), 'src'));
  assert.ok(files.length > 0, 'no .ts files found under src/: the scan would prove nothing');
  const violations = checkImports(files);
  assert.equal(violations.length, 0, `forbidden imports:\n  ${violations.map(describe).join('\n  ')}`);
});

test('the checker finds every import form', () => {
  const text = [
    "import a from './a.js';",
    "import type { B } from '../b/index.js';",
    "import { type C } from 'c-pkg';",
    "import './side-effect.js';",
    "export * from '../d/index.js';",
    "export { e } from '../e/index.js';",
    "export type { F } from '../f/index.js';",
    'const g = await import("../g/index.js");',
    'const h = await import(`../h/index.js`);',
    "type I = import('../i/index.js').I;",
    "import j = require('../j/index.js');",
    "// import k from '../k/index.js';",
    "/* export * from '../l/index.js'; */",
  ].join('\n');
  const specs = importsOf('x/y.ts', text).map((r) => r.specifier);
  assert.deepEqual(specs, [
    './a.js', '../b/index.js', 'c-pkg', './side-effect.js', '../d/index.js', '../e/index.js',
    '../f/index.js', '../g/index.js', '../h/index.js', '../i/index.js', '../j/index.js',
  ]);
});

test('the checker catches forbidden edges in a synthetic tree', () => {
  const files: SourceFile[] = [
    { path: 'cli/run.ts', text: "import { Engine } from '../engine/index.js';" },
    { path: 'bin/berth.ts', text: "import { createServer } from '../api/server.js';" },
    { path: 'util/log.ts', text: "import chalk from 'chalk';" },
    { path: 'spec/api.ts', text: "import type { Readable } from 'tar-stream';" },
    { path: 'spec/oci.ts', text: "import type { X } from '../util/x.js';" },
    { path: 'runtime/crun.ts', text: "export * from '../network/netavark.js';" },
    { path: 'store/blob.ts', text: "const m = await import('../image/index.js');" },
    { path: 'image/store.ts', text: "import type { C } from '../container/model.js';" },
    { path: 'api/routes.ts', text: "const name = 'x'; await import(name);" },
    { path: 'engine/x.ts', text: "import pkg from '../../package.json';" },
    { path: 'misc/helper.ts', text: "export const x = 1;" },
  ];
  const got = checkImports(files).map((v) => `${v.file} ${v.specifier}`);
  assert.deepEqual(got, [
    'cli/run.ts ../engine/index.js',
    'bin/berth.ts ../api/server.js',
    'util/log.ts chalk',
    'spec/api.ts tar-stream',
    'spec/oci.ts ../util/x.js',
    'runtime/crun.ts ../network/netavark.js',
    'store/blob.ts ../image/index.js',
    'image/store.ts ../container/model.js',
    'api/routes.ts <computed>',
    'engine/x.ts ../../package.json',
    'misc/helper.ts ',
  ]);
  const first = checkImports(files.slice(0, 1))[0];
  assert.match(describe(first), /^src\/cli\/run\.ts:1 imports '\.\.\/engine\/index\.js': cli → engine is not allowed/);
});

test('the checker allows every edge the table allows', () => {
  const files: SourceFile[] = [
    { path: 'bin/berth.ts', text: "import { main } from '../cli/index.js'; import fs from 'node:fs';" },
    { path: 'bin/berthd.ts', text: "import '../api/index.js'; import '../engine/index.js'; import '../registry/index.js'; import '../util/log.js';" },
    { path: 'cli/run.ts', text: "import '../client/index.js'; import '../spec/api.js'; import '../util/x.js'; import './table.js'; import 'undici';" },
    { path: 'compose/load.ts', text: "import '../client/index.js'; import 'yaml';" },
    { path: 'api/server.ts', text: "import '../engine/index.js'; import http from 'node:http';" },
    { path: 'engine/index.ts', text: SERVICES.map((s) => `import '../${s}/index.js';`).join('\n') },
    { path: 'container/start.ts', text: "import '../runtime/index.js'; import '../image/index.js';" },
    { path: 'build/builder.ts', text: "import '../image/index.js'; import '../store/index.js';" },
    { path: 'image/layers.ts', text: "import '../store/index.js'; import 'tar-stream';" },
    { path: 'image/overlay/snap.ts', text: "import '../store.js'; import '../../store/index.js';" },
    { path: 'util/exec.ts', text: "import { spawn } from 'node:child_process'; import 'fs';" },
    { path: 'spec/ids.ts', text: "import type { ContainerId } from './other.js'; import type { Readable } from 'node:stream';" },
  ];
  assert.deepEqual(checkImports(files).map(describe), []);
});

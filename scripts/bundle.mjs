#!/usr/bin/env node
// Bundles the two entry points into single files under dist/, so that each
// starts by loading one script. The CLI's start-up is part of every command:
// - it is CommonJS (Node 20 loads a CJS file ~8 ms faster than an ES module);
// - its shebang drops NODE_EXTRA_CA_CERTS, whose certificate file Node parses
//   at start-up (~40 ms here) although the CLI speaks only to a local socket.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };
await build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/bin/berth.ts'],
  outfile: 'dist/berth.cjs',
  banner: { js: '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node' },
});
await build({
  ...common,
  format: 'esm',
  entryPoints: ['src/bin/berthd.ts'],
  outfile: 'dist/berthd.js',
  // A native addon: resolved at run time from node_modules, never bundled.
  external: ['node-unix-socket'],
  banner: { js: '#!/usr/bin/env -S node --lite-mode\nimport { createRequire as __berthCreateRequire } from "node:module"; const require = __berthCreateRequire(import.meta.url);' },
});
chmodSync('dist/berth.cjs', 0o755);
chmodSync('dist/berthd.js', 0o755);

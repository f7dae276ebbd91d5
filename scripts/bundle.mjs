#!/usr/bin/env node
// Bundles the two entry points into single files under dist/, so that `berth`
// starts by loading one small script (start-up time is part of every command).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __berthCreateRequire } from "node:module"; const require = __berthCreateRequire(import.meta.url);' },
};
await build({ ...common, entryPoints: ['src/bin/berth.ts'], outfile: 'dist/berth.js' });
await build({ ...common, entryPoints: ['src/bin/berthd.ts'], outfile: 'dist/berthd.js' });
chmodSync('dist/berth.js', 0o755);
chmodSync('dist/berthd.js', 0o755);

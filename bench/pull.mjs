#!/usr/bin/env node
// Pull and push throughput: berth pull of a ~200 MB random-content, 4-layer
// image from a loopback docker-registry into a clean store, against
// `skopeo copy docker://… dir:` of the same image; and berth push of it to an
// empty registry against `skopeo copy dir: docker://…`. Runs are interleaved
// (berth, skopeo, berth, …) and medians reported, with the ratio berth / skopeo.
// Usage: npm run build && node bench/pull.mjs [--mb N] [--runs N]. Needs root,
// docker-registry and skopeo (./install.sh). Everything lives under temp dirs
// removed at the end.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../build/test/helpers/daemon.js';
import { TestRegistry } from '../build/test/helpers/registry.js';

const mbArg = process.argv.indexOf('--mb');
const totalMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 200;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const LAYERS = 4;

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** An OCI layout with LAYERS gzip layers of random bytes (incompressible: gzip level 1). */
function makeLayout(dir) {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (buf) => {
    const hex = sha(buf);
    writeFileSync(join(dir, 'blobs', 'sha256', hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    const src = join(dir, `src${i}`);
    mkdirSync(src);
    writeFileSync(join(src, `random${i}.bin`), randomBytes(Math.floor((totalMb / LAYERS) * 1024 * 1024)));
    const tar = spawnSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 30 }).stdout;
    rmSync(src, { recursive: true });
    diffIds.push(`sha256:${sha(tar)}`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(tar, { level: 1 })) });
  }
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } })));
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
  return layers.reduce((n, l) => n + l.size, 0);
}

const work = mkdtempSync('/var/tmp/berth-bench-pull-');
let reg;
let daemon;
try {
  const bytes = makeLayout(join(work, 'layout'));
  reg = await TestRegistry.start();
  sh('skopeo', ['copy', '--dest-tls-verify=false', `oci:${join(work, 'layout')}:bench`, `docker://${reg.host}/bench:1`]);
  daemon = await TestDaemon.start({ busybox: false });
  const ref = `${reg.host}/bench:1`;
  const timed = async (fn) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const berth = async (args) => {
    const r = await daemon.berth(args, { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')} failed: ${r.stderr}`);
  };
  const pull = { berth: [], skopeo: [] };
  const push = { berth: [], skopeo: [] };
  for (let i = 0; i < RUNS; i++) {
    const dir = join(work, `skopeo-dir-${i}`);
    pull.skopeo.push(await timed(() => sh('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}`])));
    if (i > 0) await berth(['rmi', ref]);
    pull.berth.push(await timed(() => berth(['pull', '-q', ref])));
    // Pushes go to an empty registry each, so every blob is really sent.
    const target = await TestRegistry.start();
    try {
      push.berth.push(await timed(() => berth(['tag', ref, `${target.host}/bench:1`]).then(() => berth(['push', '-q', `${target.host}/bench:1`]))));
      push.skopeo.push(await timed(() => sh('skopeo', ['copy', '--dest-tls-verify=false', `dir:${dir}`, `docker://${target.host}/bench-skopeo:1`])));
      await berth(['rmi', `${target.host}/bench:1`]);
    } finally {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mb = bytes / 1e6;
  const line = (label, ms, what) => console.log(`${label.padEnd(26)} ${(ms / 1000).toFixed(2)} s  ${(mb / (ms / 1000)).toFixed(0).padStart(4)} MB/s  ${what}`);
  console.log(`image: ${LAYERS} layers, ${mb.toFixed(0)} MB compressed, loopback registry; medians of ${RUNS} interleaved runs`);
  line('skopeo copy docker:// dir:', median(pull.skopeo), '(download, verify)');
  line('berth pull', median(pull.berth), '(download, verify, unpack)');
  console.log(`pull ratio berth/skopeo:   ${(median(pull.berth) / median(pull.skopeo)).toFixed(2)}   runs berth ${pull.berth.map((x) => (x / 1000).toFixed(2)).join(' ')} / skopeo ${pull.skopeo.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
  line('skopeo copy dir: docker://', median(push.skopeo), '(upload)');
  line('berth push', median(push.berth), '(upload)');
  console.log(`push ratio berth/skopeo:   ${(median(push.berth) / median(push.skopeo)).toFixed(2)}   runs berth ${push.berth.map((x) => (x / 1000).toFixed(2)).join(' ')} / skopeo ${push.skopeo.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
} finally {
  await daemon?.stop().catch(() => undefined);
  await reg?.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

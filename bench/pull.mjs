#!/usr/bin/env node
// Pull throughput: berth pull of a ~200 MB random-content, 4-layer image from a
// loopback docker-registry, against `skopeo copy docker://… dir:` of the same
// image in the same run. Prints both times, MB/s and the ratio (berth / skopeo).
// Usage: npm run build && node bench/pull.mjs [--mb N]. Needs root, docker-registry
// and skopeo (./install.sh). Everything lives under temp dirs removed at the end.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../build/test/helpers/daemon.js';
import { TestRegistry } from '../build/test/helpers/registry.js';

const mbArg = process.argv.indexOf('--mb');
const totalMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 200;
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

  let t = performance.now();
  sh('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/bench:1`, `dir:${join(work, 'skopeo-dir')}`]);
  const skopeoMs = performance.now() - t;

  t = performance.now();
  const r = await daemon.berth(['pull', '-q', `${reg.host}/bench:1`], { timeoutMs: 600_000 });
  const berthMs = performance.now() - t;
  if (r.code !== 0) throw new Error(`berth pull failed: ${r.stderr}`);

  const mb = bytes / 1e6;
  console.log(`image: ${LAYERS} layers, ${mb.toFixed(0)} MB compressed, loopback registry`);
  console.log(`skopeo copy → dir:   ${(skopeoMs / 1000).toFixed(2)} s  ${(mb / (skopeoMs / 1000)).toFixed(0)} MB/s (download only)`);
  console.log(`berth pull:          ${(berthMs / 1000).toFixed(2)} s  ${(mb / (berthMs / 1000)).toFixed(0)} MB/s (download, verify, unpack)`);
  console.log(`ratio berth/skopeo:  ${(berthMs / skopeoMs).toFixed(2)}`);
} finally {
  await daemon?.stop().catch(() => undefined);
  await reg?.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

// How berthd reaches registries: https verified with a CA from the certs
// directory, --insecure-registry for plain HTTP beyond loopback, TLS on
// loopback, --registry-mirror with fallback, and /info RegistryConfig.
// Registries beyond loopback listen on this host's own address (the traffic
// never leaves the machine); real docker-registry and openssl throughout.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { BERTHD, TestDaemon } from '../helpers/daemon.js';
import { TestRegistry } from '../helpers/registry.js';

/** This host's first non-loopback IPv4 address: reached without leaving the machine. */
function hostAddress(): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith('berth') || name.startsWith('br')) continue;
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return undefined;
}

const ip = hostAddress();
let pki: string;
let certs: string; // certs dir holding the CA for the TLS registry
let emptyCerts: string;
let tlsReg: TestRegistry; // https on the host address, signed by our CA
let plainReg: TestRegistry; // plain http on the host address
let loopTls: TestRegistry; // https on 127.0.0.1, same certificate
let upstream: TestRegistry;
let mirror: TestRegistry;
let trusting: TestDaemon; // has the CA; lists the plain registry as insecure
let strict: TestDaemon; // no CA, nothing insecure beyond loopback, a mirror

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

before(async () => {
  if (!ip) return;
  pki = mkdtempSync('/var/tmp/berth-test-pki-');
  const f = (n: string) => join(pki, n);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=berth test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${ip}`]);
  writeFileSync(f('ext.cnf'), `subjectAltName=IP:${ip},IP:127.0.0.1\n`);
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-extfile', f('ext.cnf')]);
  const tls = { cert: f('server.crt'), key: f('server.key') };
  [tlsReg, plainReg, loopTls, upstream, mirror] = await Promise.all([
    TestRegistry.start({ address: ip, tls }),
    TestRegistry.start({ address: ip }),
    TestRegistry.start({ tls }),
    TestRegistry.start(),
    TestRegistry.start(),
  ]);
  certs = mkdtempSync('/var/tmp/berth-test-certs-');
  mkdirSync(join(certs, tlsReg.host));
  spawnSync('cp', [f('ca.crt'), join(certs, tlsReg.host, 'ca.crt')]);
  emptyCerts = mkdtempSync('/var/tmp/berth-test-certs-');
  [trusting, strict] = await Promise.all([
    TestDaemon.start({ args: ['--registry-certs-dir', certs, '--insecure-registry', plainReg.host, '--insecure-registry', '198.51.100.0/24'] }),
    TestDaemon.start({ args: ['--registry-certs-dir', emptyCerts, '--registry-mirror', mirror.url, '--registry-mirror', `${upstream.host}=${mirror.url}/`] }),
  ]);
});
after(async () => {
  await Promise.all([trusting?.stop(), strict?.stop(), tlsReg?.stop(), plainReg?.stop(), loopTls?.stop(), upstream?.stop(), mirror?.stop()]);
  for (const dir of [pki, certs, emptyCerts]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const skip = ip ? false : 'this host has no non-loopback IPv4 address';

async function pushTo(d: TestDaemon, ref: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const tag = await d.berth(['tag', 'busybox', ref]);
  assert.equal(tag.code, 0, tag.stderr);
  return d.berth(['push', ref]);
}

test('an https registry signed by a CA in the certs directory is trusted', { skip }, async () => {
  const push = await pushTo(trusting, `${tlsReg.host}/secure/bb:1`);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /1: digest: sha256:/);
  assert.equal((await trusting.berth(['rmi', `${tlsReg.host}/secure/bb:1`])).code, 0);
  const pull = await trusting.berth(['pull', `${tlsReg.host}/secure/bb:1`]);
  assert.equal(pull.code, 0, pull.stderr);
});

test('without its CA the same https registry is refused with a certificate error naming it', { skip }, async () => {
  const pull = await strict.berth(['pull', `${tlsReg.host}/secure/bb:1`]);
  assert.notEqual(pull.code, 0);
  assert.match(pull.stderr, new RegExp(`https://${tlsReg.host.replace(/\./g, '\\.')}/v2/.*(certificate|self.signed|issuer)`, 'i'));
  assert.equal((await strict.api('GET', `/images/${tlsReg.host}/secure/bb:1/json`)).status, 404);
});

test('plain HTTP beyond loopback needs --insecure-registry', { skip }, async () => {
  const refused = await pushTo(strict, `${plainReg.host}/plain/bb:1`);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, new RegExp(`https://${plainReg.host.replace(/\./g, '\\.')}/v2/`));
  const push = await pushTo(trusting, `${plainReg.host}/plain/bb:1`);
  assert.equal(push.code, 0, push.stderr);
  const pull = await trusting.berth(['pull', `${plainReg.host}/plain/bb:1`]);
  assert.equal(pull.code, 0, pull.stderr);
});

test('a loopback registry speaking TLS is reached without a CA, as docker treats loopback', { skip }, async () => {
  const push = await pushTo(strict, `${loopTls.host}/loop/bb:1`);
  assert.equal(push.code, 0, push.stderr);
  const inspect = spawnSync('skopeo', ['inspect', '--tls-verify=false', `docker://${loopTls.host}/loop/bb:1`], { encoding: 'utf8' });
  assert.equal(inspect.status, 0, inspect.stderr);
});

test('a mirror serves pulls of any upstream, and the upstream answers what the mirror lacks', { skip }, async () => {
  // The mirror holds only the mirrored repository; the upstream holds only its own.
  const toMirror = await pushTo(trusting, `${mirror.host}/mirrored/bb:1`);
  assert.equal(toMirror.code, 0, toMirror.stderr);
  const toUpstream = await pushTo(trusting, `${upstream.host}/upstream-only/bb:1`);
  assert.equal(toUpstream.code, 0, toUpstream.stderr);

  const viaMirror = await strict.berth(['pull', `${upstream.host}/mirrored/bb:1`]);
  assert.equal(viaMirror.code, 0, viaMirror.stderr);
  const fallback = await strict.berth(['pull', `${upstream.host}/upstream-only/bb:1`]);
  assert.equal(fallback.code, 0, fallback.stderr);
  const neither = await strict.berth(['pull', `${upstream.host}/nowhere/bb:1`]);
  assert.notEqual(neither.code, 0);
  assert.match(neither.stderr, new RegExp(`manifest for ${upstream.host}/nowhere/bb:1 not found`));
});

test('/info shows insecure registries and mirrors in RegistryConfig', { skip }, async () => {
  const a = (await trusting.api('GET', '/info')).json.RegistryConfig;
  assert.deepEqual(a.InsecureRegistryCIDRs, ['127.0.0.0/8', '198.51.100.0/24']);
  assert.deepEqual(a.Mirrors, []);
  assert.deepEqual(a.IndexConfigs[plainReg.host], { Name: plainReg.host, Mirrors: [], Secure: false, Official: false });
  const b = (await strict.api('GET', '/info')).json.RegistryConfig;
  assert.deepEqual(b.Mirrors, [`${mirror.url}/`]);
  assert.deepEqual(b.IndexConfigs['docker.io'].Mirrors, [`${mirror.url}/`]);
  assert.deepEqual(b.IndexConfigs[upstream.host].Mirrors, [`${mirror.url}/`, `${mirror.url}/`]);
  assert.equal(b.IndexConfigs['docker.io'].Secure, true);
  const info = await strict.berth(['info', '--format', '{{json .RegistryConfig.Mirrors}}']);
  assert.equal(info.code, 0, info.stderr);
  assert.equal(info.stdout.trim(), JSON.stringify([`${mirror.url}/`]));
});

test('berthd refuses a malformed --insecure-registry or --registry-mirror before starting', () => {
  for (const args of [['--insecure-registry', 'not/a/cidr'], ['--registry-mirror', 'ftp://mirror.example']]) {
    const r = spawnSync(process.execPath, ['--lite-mode', BERTHD, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, new RegExp(`berthd: invalid ${args[0]}`));
  }
});

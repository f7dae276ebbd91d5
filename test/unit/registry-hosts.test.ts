import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RegistryHosts } from '../../src/distribution/index.js';

test('loopback registries are insecure by default, every other one is https', () => {
  const h = new RegistryHosts();
  for (const d of ['127.0.0.1:5000', '127.9.8.7', 'localhost:5000', '[::1]:5000']) assert.equal(h.isInsecure(d), true, d);
  for (const d of ['registry.example:5000', '10.0.0.1:5000', 'docker.io']) assert.equal(h.isInsecure(d), false, d);
  assert.equal(h.registry('docker.io').base, 'https://registry-1.docker.io');
  assert.equal(h.registry('registry.example:5000').base, 'https://registry.example:5000');
});

test('--insecure-registry takes host[:port] names and IPv4 CIDRs', () => {
  const h = new RegistryHosts({ insecure: ['10.1.0.0/16', 'reg.example:5000', 'http://other.example/'] });
  assert.equal(h.isInsecure('10.1.200.3:443'), true);
  assert.equal(h.isInsecure('10.2.0.1:443'), false);
  assert.equal(h.isInsecure('reg.example:5000'), true);
  assert.equal(h.isInsecure('reg.example:5001'), false);
  assert.equal(h.isInsecure('other.example:8080'), true);
  assert.throws(() => new RegistryHosts({ insecure: ['10.0.0.0/40'] }), /invalid --insecure-registry "10.0.0.0\/40"/);
  assert.throws(() => new RegistryHosts({ insecure: ['a/b'] }), /expected host\[:port\] or a CIDR/);
});

test('mirrors come before the registry, scoped ones only for their upstream', () => {
  const h = new RegistryHosts({ mirrors: ['https://all.example', 'reg.example=http://one.example:5000/'] });
  assert.deepEqual(h.pullEndpoints('reg.example').map((e) => [e.base, e.mirror]), [
    ['https://all.example', true],
    ['http://one.example:5000', true],
    ['https://reg.example', false],
  ]);
  assert.deepEqual(h.pullEndpoints('docker.io').map((e) => e.base), ['https://all.example', 'https://registry-1.docker.io']);
  assert.throws(() => new RegistryHosts({ mirrors: ['https://user:pw@m.example'] }), /no credentials/);
  assert.throws(() => new RegistryHosts({ mirrors: ['not a url'] }), /not a URL/);
});

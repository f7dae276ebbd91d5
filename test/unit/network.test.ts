import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatIp, isHostAddress, overlaps, parseCidr, parseIp } from '../../src/network/ipv4.js';
import { collides, portMap, portRequests } from '../../src/network/ports.js';
import { allocate4, allocate6, macFromIp } from '../../src/network/ipam.js';
import { formatIp6, formatSubnet6, overlaps6, parseCidr6, parseIp6 } from '../../src/network/ipv6.js';
import { parseExpose, parsePublish } from '../../src/cli/publish-flag.js';

describe('IPv4 arithmetic', () => {
  test('addresses and subnets parse, format and overlap', () => {
    assert.equal(formatIp(parseIp('172.30.0.1')!), '172.30.0.1');
    assert.equal(parseIp('300.1.1.1'), undefined);
    const a = parseCidr('10.1.2.3/16')!;
    assert.equal(formatIp(a.subnet.base), '10.1.0.0');
    assert.ok(overlaps(a.subnet, parseCidr('10.1.200.0/24')!.subnet));
    assert.ok(!overlaps(a.subnet, parseCidr('10.2.0.0/24')!.subnet));
    assert.ok(!isHostAddress(parseCidr('10.0.0.0/24')!.subnet, parseIp('10.0.0.255')!));
    assert.ok(isHostAddress(parseCidr('10.0.0.0/24')!.subnet, parseIp('10.0.0.7')!));
  });

  test('a MAC address follows from the IPv4 address, as dockerd derives it', () => {
    assert.equal(macFromIp('172.17.0.2'), '02:42:ac:11:00:02');
  });
});

describe('published ports', () => {
  test('-p forms become docker\'s PortBindings and ExposedPorts', () => {
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    const exposed: Record<string, object> = {};
    parsePublish(['8080:80', '127.0.0.1:9000:90/udp', '81', '7000-7001:7000-7001'], bindings, exposed);
    parseExpose(['5000-5001/tcp'], exposed);
    assert.deepEqual(bindings, {
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
      '81/tcp': [{ HostIp: '', HostPort: '' }],
      '7000/tcp': [{ HostIp: '', HostPort: '7000' }],
      '7001/tcp': [{ HostIp: '', HostPort: '7001' }],
    });
    assert.deepEqual(Object.keys(exposed).sort(), ['5000/tcp', '5001/tcp', '7000/tcp', '7001/tcp', '80/tcp', '81/tcp', '90/udp']);
    assert.throws(() => parsePublish(['1-3:1-2'], {}, {}), /^UsageError: invalid ranges specified for container and host Ports: 1-2 and 1-3$/);
    assert.throws(() => parsePublish(['8002-8000:80'], {}, {}), /invalid hostPort: 8002-8000/);
    assert.throws(() => parsePublish(['80:abc'], {}, {}), /invalid containerPort: abc/);
    assert.throws(() => parsePublish(['80:80/xyz'], {}, {}), /invalid proto: xyz/);
  });

  test('a host range against one container port is sent whole, for the daemon to pick from', () => {
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    parsePublish(['8000-8010:80'], bindings, {});
    assert.deepEqual(bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] });
    assert.deepEqual(portRequests(bindings, [], false), [{ hostIp: '', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp' }]);
    assert.throws(() => portRequests({ '80/tcp': [{ HostPort: '9-8' }] }, [], false), /invalid port specification: "9-8"/);
  });

  test('requests include every exposed port with -P; collisions follow the address and protocol', () => {
    const reqs = portRequests({ '80/tcp': [{ HostPort: '8080' }] }, ['80/tcp', '443/tcp'], true);
    assert.deepEqual(reqs, [
      { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 443, protocol: 'tcp' },
    ]);
    const p = { hostIp: '127.0.0.1', hostPort: 80, containerPort: 80, protocol: 'tcp' as const };
    assert.ok(collides(p, { ...p, hostIp: '' }));
    assert.ok(!collides(p, { ...p, hostIp: '127.0.0.2' }));
    assert.ok(!collides(p, { ...p, protocol: 'udp' }));
    assert.deepEqual(portMap([{ ...p, hostPort: 9000 }], ['80/tcp', '53/udp']), {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
      '53/udp': null,
    });
  });
});

describe('IPv6 arithmetic and IPAM', () => {
  test('addresses parse in every form and format as RFC 5952 text', () => {
    assert.equal(formatIp6(parseIp6('FD00:0:0:0:0:0:0:1')!), 'fd00::1');
    assert.equal(formatIp6(parseIp6('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
    assert.equal(formatIp6(parseIp6('::')!), '::');
    assert.equal(formatIp6(parseIp6('::ffff:10.0.0.1')!), '::ffff:a00:1');
    assert.equal(parseIp6('1::2::3'), undefined);
    assert.equal(parseIp6('12345::'), undefined);
    const c = parseCidr6('fd00:1:2:3::9/64')!;
    assert.equal(formatSubnet6(c.subnet), 'fd00:1:2:3::/64');
    assert.ok(overlaps6(c.subnet, parseCidr6('fd00:1::/32')!.subnet));
    assert.ok(!overlaps6(c.subnet, parseCidr6('fd00:1:2:4::/64')!.subnet));
  });

  test('the lowest free address is handed out; the gateway and addresses in use never are', () => {
    const net = {
      name: 'n', id: 'x', created: '', driver: 'bridge' as const, internal: false, dns: true, labels: {}, options: {},
      subnet: '10.0.0.0/24', gateway: '10.0.0.1', ipv6: true, subnet6: 'fd00:1::/64', gateway6: 'fd00:1::1',
    };
    assert.equal(allocate6(net, undefined, []), 'fd00:1::2');
    assert.equal(allocate6(net, undefined, ['fd00:1::2', 'fd00:1::3']), 'fd00:1::4');
    assert.equal(allocate4(net, undefined, ['10.0.0.2']), '10.0.0.3');
    assert.throws(() => allocate6(net, 'fd00:1::1', []), /Address already in use/);
    assert.throws(() => allocate6(net, 'fd00:2::1', []), /no configured subnet/);
    assert.equal(allocate6(net, 'FD00:1:0::00ab', []), 'fd00:1::ab');
  });
});

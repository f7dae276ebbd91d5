#!/usr/bin/env node
// Published-port throughput: a container on the default bridge sends SIZE MB of
// zeros per connection; a client on the host reads them all
// through the published port on 127.0.0.1, through the port on the host's other
// IPv4 address, and straight from the container's own IP, interleaved round by
// round. Reports median MB/s of each path and its ratio to the direct one (the
// issue's target: at least 0.8). netavark publishes by DNAT (no userland proxy),
// so the three paths differ only by NAT on the connection's first packet.
// The sender is node, run by nsenter inside the container's network namespace
// (its SandboxKey): busybox nc moves only some tens of MB/s and would measure
// itself, not the path (bridge, veth, DNAT), which is all the same either way.
// Usage: node bench/port-throughput.mjs [SIZE_MB] [ROUNDS]   (after npm run build; root)
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';
import { TestDaemon } from '../build/test/helpers/daemon.js';
import { freePort } from '../build/test/helpers/net.js';

const sizeMb = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Reads one whole transfer; resolves with MB/s, or rejects when it came short (server not listening yet). */
function transfer(host, port) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    let bytes = 0;
    const s = createConnection({ host, port });
    s.on('data', (b) => (bytes += b.length));
    s.on('error', reject);
    s.on('close', () => {
      if (bytes < sizeMb * 1024 * 1024) return reject(new Error(`short read: ${bytes} bytes`));
      resolve(bytes / 1024 / 1024 / ((performance.now() - t) / 1000));
    });
  });
}

async function measure(host, port) {
  for (let i = 0; i < 100; i++) {
    try {
      return await transfer(host, port);
    } catch {
      await new Promise((r) => setTimeout(r, 50)); // the sender is not listening yet
    }
  }
  throw new Error(`no transfer from ${host}:${port}`);
}

/** Sends sizeMb MB to every connection on :80, from 1 MB writes that wait for the socket to drain. */
const SENDER = `
const buf = Buffer.alloc(1 << 20);
require('net').createServer((s) => {
  let left = ${sizeMb};
  const more = () => { while (left > 0) { left--; if (!s.write(buf)) return s.once('drain', more); } s.end(); };
  s.on('error', () => {});
  more();
}).listen(80);`;

const d = await TestDaemon.start();
let sender;
try {
  const port = await freePort();
  const r = await d.berth(['run', '-d', '--name', 'src', '-p', `${port}:80`, 'busybox', 'sleep', '100000']);
  if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
  const [ip, netns] = (await d.berth(['inspect', '--format', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.SandboxKey}}', 'src'])).stdout.trim().split(' ');
  sender = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', SENDER], { stdio: 'ignore' });
  const other = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv4' && !a.internal && !a.address.startsWith('172.3'))?.address;
  const paths = { [`direct ${ip}:80`]: [ip, 80], [`published 127.0.0.1:${port}`]: ['127.0.0.1', port] };
  if (other) paths[`published ${other}:${port}`] = [other, port];
  const speeds = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  await measure(ip, 80); // warm-up
  for (let i = 0; i < rounds; i++) for (const [name, [h, p]] of Object.entries(paths)) speeds[name].push(await measure(h, p));
  const direct = median(speeds[Object.keys(paths)[0]]);
  console.log(`${sizeMb} MB per transfer, ${rounds} interleaved rounds, medians`);
  for (const [name, xs] of Object.entries(speeds)) {
    console.log(`${name.padEnd(32)} ${median(xs).toFixed(0).padStart(6)} MB/s   ratio to direct ${(median(xs) / direct).toFixed(2)}`);
  }
} finally {
  sender?.kill();
  await d.stop();
}

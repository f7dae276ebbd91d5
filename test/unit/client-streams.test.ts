import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { demuxStream, readFrames, readJsonLines } from '../../src/client/streams.js';
import {
  ClientError,
  DEFAULT_HOST,
  DaemonUnreachableError,
  Transport,
  encodeQuery,
  parseHost,
  resolveHost,
} from '../../src/client/transport.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Feeds `data` in pieces of `size` bytes, to cross frame and character boundaries. */
function chunked(data: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  return Readable.from(pieces);
}

async function collect(readable: Readable): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  await demuxStream(readable, (b) => void (out += b.toString()), (b) => void (err += b.toString()));
  return { out, err };
}

test('demuxStream splits multiplexed frames even when they arrive a byte at a time', async () => {
  const data = Buffer.concat([frame(1, 'hello '), frame(2, 'oops\n'), frame(1, 'world\n'), frame(0, '!')]);
  assert.deepEqual(await collect(chunked(data, 1)), { out: 'hello world\n!', err: 'oops\n' });
  assert.deepEqual(await collect(chunked(data, 5)), { out: 'hello world\n!', err: 'oops\n' });
});

test('demuxStream passes a stream that does not start with a frame header through as stdout', async () => {
  assert.deepEqual(await collect(chunked(Buffer.from('plain tty output\n'), 3)), { out: 'plain tty output\n', err: '' });
  assert.deepEqual(await collect(Readable.from([Buffer.from('$ ')])), { out: '$ ', err: '' });
});

test('demuxStream rejects when the daemon reports an error frame', async () => {
  const data = Buffer.concat([frame(1, 'partial'), frame(3, 'boom')]);
  await assert.rejects(collect(Readable.from([data])), { message: 'error from daemon in stream: boom' });
});

test('demuxStream waits for a sink that returns a promise', async () => {
  const seen: string[] = [];
  const data = Buffer.concat([frame(1, 'a'), frame(1, 'b')]);
  await demuxStream(
    Readable.from([data]),
    async (b) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(b.toString());
    },
    () => undefined,
  );
  assert.deepEqual(seen, ['a', 'b']);
});

test('readFrames reports a frame cut short by the end of the stream', async () => {
  const cut = frame(1, 'hello').subarray(0, 10);
  await assert.rejects(async () => {
    for await (const _ of readFrames(Readable.from([cut]))) void _;
  }, /unexpected EOF/);
});

test('readJsonLines yields each JSON line across chunk and character boundaries', async () => {
  const text = '{"status":"Pulling"}\r\n\n{"id":"é","progressDetail":{"current":1}}\n{"error":"last"}';
  const values: unknown[] = [];
  for await (const v of readJsonLines(chunked(Buffer.from(text), 3))) values.push(v);
  assert.deepEqual(values, [{ status: 'Pulling' }, { id: 'é', progressDetail: { current: 1 } }, { error: 'last' }]);
});

test('readJsonLines throws on a line that is not JSON', async () => {
  await assert.rejects(async () => {
    for await (const _ of readJsonLines(Readable.from(['{"ok":1}\nnot json\n']))) void _;
  }, /invalid JSON in stream: not json/);
});

test('hosts parse from unix, bare path and tcp forms', () => {
  assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', socketPath: '/run/x.sock', url: 'unix:///run/x.sock' });
  assert.deepEqual(parseHost('/run/x.sock'), { kind: 'unix', socketPath: '/run/x.sock', url: 'unix:///run/x.sock' });
  assert.deepEqual(parseHost('tcp://10.0.0.1:2376'), { kind: 'tcp', hostname: '10.0.0.1', port: 2376, url: 'tcp://10.0.0.1:2376' });
  assert.deepEqual(parseHost('tcp://example.com'), { kind: 'tcp', hostname: 'example.com', port: 2375, url: 'tcp://example.com:2375' });
  assert.deepEqual(parseHost('tcp://[::1]:80'), { kind: 'tcp', hostname: '::1', port: 80, url: 'tcp://[::1]:80' });
  assert.throws(() => parseHost('nonsense'), /unable to parse berth host `nonsense`/);
  assert.throws(() => parseHost('ssh://me@box'), /protocol not available: ssh/);
});

test('the host comes from -H, then BERTH_HOST, then DOCKER_HOST, then the default', () => {
  const env = { BERTH_HOST: 'unix:///b.sock', DOCKER_HOST: 'unix:///d.sock' };
  assert.equal(resolveHost({ flag: 'unix:///f.sock', env }).url, 'unix:///f.sock');
  assert.equal(resolveHost({ env }).url, 'unix:///b.sock');
  assert.equal(resolveHost({ env: { DOCKER_HOST: 'tcp://h:1' } }).url, 'tcp://h:1');
  assert.equal(resolveHost({ env: {} }).url, DEFAULT_HOST);
});

test('query values encode booleans as 1 and 0, repeat arrays and JSON-encode filters', () => {
  const q = encodeQuery({ all: true, size: false, limit: 3, skip: undefined, names: ['a', 'b'], filters: { label: ['k=v'] } });
  assert.equal(q, '?all=1&size=0&limit=3&names=a&names=b&filters=%7B%22label%22%3A%5B%22k%3Dv%22%5D%7D');
  assert.equal(encodeQuery({ none: undefined }), '');
});

const dir = mkdtempSync(join(tmpdir(), 'berth-transport-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fake daemon on a unix socket; `upgrade` handles hijack requests. */
async function fakeDaemon(
  name: string,
  onRequest: http.RequestListener,
  onUpgrade?: (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void,
): Promise<{ socketPath: string; server: http.Server; connections: () => number }> {
  const socketPath = join(dir, `${name}.sock`);
  const server = http.createServer(onRequest);
  let connections = 0;
  server.on('connection', () => connections++);
  if (onUpgrade) server.on('upgrade', onUpgrade);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { socketPath, server, connections: () => connections };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

test('requests reach a unix socket, send JSON bodies and parse JSON answers over one kept-alive socket', async () => {
  const daemon = await fakeDaemon('echo', async (req, res) => {
    const body = await readBody(req);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, type: req.headers['content-type'] ?? null, body }));
  });
  const t = new Transport(parseHost(daemon.socketPath), { apiVersion: '1.45' });
  const first = await t.request<{ method: string; url: string; type: string | null; body: string }>({
    method: 'POST',
    path: '/containers/create',
    query: { name: 'web' },
    body: { Image: 'busybox' },
  });
  assert.equal(first.status, 200);
  assert.deepEqual(first.body, {
    method: 'POST',
    url: '/v1.45/containers/create?name=web',
    type: 'application/json',
    body: '{"Image":"busybox"}',
  });
  const second = await t.json<{ url: string }>('GET', '/containers/json', { query: { all: true } });
  assert.equal(second.url, '/v1.45/containers/json?all=1');
  assert.equal(daemon.connections(), 1);
  t.close();
});

test('a text answer is returned as a string and an empty one as undefined', async () => {
  const daemon = await fakeDaemon('ping', (req, res) => {
    if (req.url === '/_ping') res.end('OK');
    else res.writeHead(204).end();
  });
  const t = new Transport(parseHost(daemon.socketPath));
  assert.equal(await t.json('GET', '/_ping'), 'OK');
  assert.equal((await t.request({ method: 'POST', path: '/containers/x/start' })).body, undefined);
  t.close();
});

test('an error answer becomes a ClientError with the status and the server message', async () => {
  const daemon = await fakeDaemon('errors', (req, res) => {
    if (req.url === '/json') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such container: nope"}');
    } else if (req.url === '/text') {
      res.writeHead(500).end('plain failure\n');
    } else {
      res.writeHead(400).end();
    }
  });
  const t = new Transport(parseHost(daemon.socketPath));
  await assert.rejects(t.request({ path: '/json' }), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.status, 404);
    assert.equal(err.message, 'No such container: nope');
    return true;
  });
  await assert.rejects(t.request({ path: '/text' }), { status: 500, message: 'plain failure' });
  await assert.rejects(t.requestStream({ path: '/empty' }), /request returned Bad Request for API route and version \/empty/);
  t.close();
});

test('a streamed answer is handed back unread, and a Readable body is streamed up', async () => {
  const daemon = await fakeDaemon('stream', async (req, res) => {
    const body = await readBody(req);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(JSON.stringify({ status: `got ${body.length} bytes` }) + '\n');
    setTimeout(() => res.end(JSON.stringify({ status: 'done' }) + '\n'), 10);
  });
  const t = new Transport(parseHost(daemon.socketPath));
  const upload = Readable.from([Buffer.from('abc'), Buffer.from('de')]);
  const stream = await t.stream('POST', '/images/load', { body: upload });
  const messages: unknown[] = [];
  for await (const m of readJsonLines(stream)) messages.push(m);
  assert.deepEqual(messages, [{ status: 'got 5 bytes' }, { status: 'done' }]);
  t.close();
});

test('a missing socket is a DaemonUnreachableError in docker wording', async () => {
  const url = `unix://${join(dir, 'absent.sock')}`;
  const t = new Transport(parseHost(url));
  await assert.rejects(t.request({ path: '/_ping' }), (err: unknown) => {
    assert.ok(err instanceof DaemonUnreachableError);
    assert.equal(err.message, `Cannot connect to the berth daemon at ${url}. Is the berth daemon running?`);
    return true;
  });
});

test('a refused TCP connection is a DaemonUnreachableError', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const t = new Transport(parseHost(`tcp://127.0.0.1:${port}`));
  await assert.rejects(t.request({ path: '/_ping' }), { name: 'DaemonUnreachableError', code: 'ECONNREFUSED' });
});

test('hijack returns the raw socket after a 101 answer, including bytes sent with the headers', async () => {
  let upgradeHeaders: http.IncomingHttpHeaders = {};
  const daemon = await fakeDaemon(
    'upgrade',
    (_req, res) => res.writeHead(500).end(),
    (req, socket) => {
      upgradeHeaders = req.headers;
      socket.write(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n' +
          'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n' +
          'ready;',
      );
      socket.on('data', (d) => socket.write(d.toString().toUpperCase()));
      socket.on('end', () => socket.end('bye'));
    },
  );
  const t = new Transport(parseHost(daemon.socketPath));
  const hijacked = await t.hijack({ method: 'POST', path: '/exec/abc/start', body: { Detach: false, Tty: false } });
  assert.equal(hijacked.status, 101);
  assert.equal(hijacked.multiplexed, true);
  assert.equal(upgradeHeaders.upgrade, 'tcp');
  assert.equal(upgradeHeaders.connection, 'Upgrade');
  let received = '';
  hijacked.stream.on('data', (d: Buffer) => (received += d.toString()));
  hijacked.stream.write('ping');
  await new Promise((r) => setTimeout(r, 20));
  hijacked.stream.end();
  await new Promise((resolve) => hijacked.stream.on('end', resolve));
  assert.equal(received, 'ready;PINGbye');
  hijacked.stream.destroy();
});

test('hijack also accepts a plain 200 raw-stream answer', async () => {
  const daemon = await fakeDaemon('raw200', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
    res.end('tty output');
  });
  const t = new Transport(parseHost(daemon.socketPath));
  const hijacked = await t.hijack({ method: 'POST', path: '/containers/x/attach', query: { stream: true, stdout: true } });
  assert.equal(hijacked.status, 200);
  assert.equal(hijacked.multiplexed, false);
  let received = '';
  for await (const chunk of hijacked.stream) received += chunk;
  assert.equal(received, 'tty output');
  hijacked.stream.destroy();
});

test('hijack turns an error answer into a ClientError', async () => {
  const daemon = await fakeDaemon('hijack-error', (_req, res) => {
    res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"message":"container is not running"}');
  });
  const t = new Transport(parseHost(daemon.socketPath));
  await assert.rejects(t.upgrade('POST', '/containers/x/attach'), { status: 409, message: 'container is not running' });
});

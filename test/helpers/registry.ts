/**
 * A real registry for tests: Debian's docker-registry (distribution 2.8) on
 * 127.0.0.1 with a free port and its own storage directory, optionally behind
 * htpasswd (bcrypt) basic auth. stop() kills it and removes its files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

/** True when something listens on address:port. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, address);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class TestRegistry {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly tokenServer?: Server,
    /** The address it listens on (127.0.0.1 unless started with another). */
    readonly address = '127.0.0.1',
    readonly tls = false,
  ) {}

  /** Token requests the token server answered (bearer mode only). */
  static tokenRequests = 0;
  /** Of those, refresh-token grants (docker's identity token at work). */
  static refreshGrants = 0;

  /** `127.0.0.1:PORT`, the registry part of references. */
  get host(): string {
    return `${this.address}:${this.port}`;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://${this.host}`;
  }

  /** Where the registry keeps a blob's bytes (filesystem driver layout), for damage tests. */
  blobFile(digest: string): string {
    const hex = digest.slice(digest.indexOf(':') + 1);
    return join(this.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  /**
   * With `user`, the registry wants credentials: htpasswd basic auth, or with
   * `token`, bearer tokens from a small token server in this process that
   * checks the same user and password and signs RS256 JWTs the registry trusts.
   */
  static async start(o: { user?: string; password?: string; token?: boolean; address?: string; tls?: { cert: string; key: string } } = {}): Promise<TestRegistry> {
    const dir = mkdtempSync('/var/tmp/berth-test-registry-');
    const address = o.address ?? '127.0.0.1';
    const port = await freePort(address);
    let auth = '';
    let tokenServer: Server | undefined;
    if (o.user !== undefined && o.token) {
      const t = await startTokenServer(dir, o.user, o.password ?? '');
      tokenServer = t.server;
      auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${t.cert}\n`;
    } else if (o.user !== undefined) {
      const r = spawnSync('htpasswd', ['-Bbn', o.user, o.password ?? ''], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
      writeFileSync(join(dir, 'htpasswd'), r.stdout);
      auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nvalidation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\nhttp:\n  addr: ${address}:${port}\n${o.tls ? `  tls:\n    certificate: ${o.tls.cert}\n    key: ${o.tls.key}\n` : ''}${auth}`,
    );
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const reg = new TestRegistry(child, dir, port, tokenServer, address, o.tls !== undefined);
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) break;
      if (await accepts(address, port)) return reg;
      await new Promise((r) => setTimeout(r, 50));
    }
    await reg.stop();
    throw new Error(`docker-registry did not start: ${stderr}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await new Promise((r) => (this.tokenServer ? this.tokenServer.close(r) : r(undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const SERVICE = 'berth-test-registry';
const ISSUER = 'berth-test-issuer';

/** The token server of the distribution token spec: GET /token?service=&scope= with basic auth. */
async function startTokenServer(dir: string, user: string, password: string): Promise<{ server: Server; realm: string; cert: string }> {
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.crt');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=berth-test-token'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const privateKey = createPrivateKey(readFileSync(key));
  const der = new X509Certificate(readFileSync(cert)).raw.toString('base64');
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const refreshTokens = new Set<string>();
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    TestRegistry.tokenRequests++;
    // OAuth2 refresh-token grant (docker's identity token): POST form, no basic auth.
    const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
    if (form) {
      TestRegistry.refreshGrants++;
      if (form.get('grant_type') !== 'refresh_token' || !refreshTokens.has(form.get('refresh_token') ?? '')) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end('{"details":"invalid refresh token"}');
        return;
      }
    } else if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = form ? form.getAll('scope') : url.searchParams.getAll('scope');
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return type && name ? [{ type, name, actions: (actions ?? '').split(',').filter(Boolean) }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const head = b64({ alg: 'RS256', typ: 'JWT', x5c: [der] });
    const claims = b64({ iss: ISSUER, sub: user, aud: SERVICE, exp: now + 600, nbf: now - 60, iat: now, jti: randomBytes(8).toString('hex'), access });
    const sig = sign('sha256', Buffer.from(`${head}.${claims}`), privateKey).toString('base64url');
    const refresh = !form && url.searchParams.get('offline_token') === 'true' ? randomBytes(16).toString('hex') : undefined;
    if (refresh) refreshTokens.add(refresh);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${head}.${claims}.${sig}`, ...(refresh && { refresh_token: refresh }) }));
  };
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, realm: `http://127.0.0.1:${port}/token`, cert };
}

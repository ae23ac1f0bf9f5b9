/**
 * Test support for the admin HTTP server: a self-signed certificate made once per test file, the
 * server started on 127.0.0.1 with the real access layer (core/admin-access) on embedded storage
 * in a temp dir (the routes' storage when given), and a small HTTPS client (node:https trusting
 * that certificate) that keeps the session cookie and answers status, headers and body.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { type AuditView, createAdminAccess } from '../../../core/admin-access/admin-access.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import type { Logger } from '../../../core/ports/logger.ts';
import type { Storage } from '../../../core/ports/storage.ts';
import { openEmbeddedStorage } from '../../embedded/open.ts';
import type { AdminAccess, AdminRole, Principal } from './access-types.ts';
import { type AdminRouteDeps, adminRoutes } from './admin-routes.ts';
import type { AnyRoute } from './route.ts';
import { type RunningAdminServer, startAdminServer } from './server.ts';

export async function testCertificate(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { key: pems.private, cert: pems.cert };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads answers through expect()
  json(): any;
}

export interface TestClient {
  /** The cookies this client sends (set from Set-Cookie answers). */
  readonly cookies: Map<string, string>;
  send(
    method: string,
    path: string,
    opts?: { json?: unknown; form?: Record<string, string>; body?: string; headers?: Record<string, string> },
  ): Promise<Reply>;
  /** Signs in over the API; answers the CSRF token. */
  login(name: string, password: string): Promise<string>;
}

export function testClient(port: number, ca: string): TestClient {
  const cookies = new Map<string, string>();
  const send: TestClient['send'] = (method, path, opts = {}) => {
    let payload: string | undefined = opts.body;
    const headers: Record<string, string> = {};
    if (opts.json !== undefined) {
      payload = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    }
    if (opts.form) {
      payload = new URLSearchParams(opts.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    Object.assign(headers, opts.headers);
    return new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [pair] = c.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq);
            const value = pair!.slice(eq + 1);
            if (/Max-Age=0/i.test(c)) cookies.delete(name);
            else cookies.set(name, value);
          }
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  };
  return {
    cookies,
    send,
    async login(name, password) {
      const reply = await send('POST', '/api/v1/session', { json: { name, password } });
      if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${reply.text}`);
      return reply.json().csrfToken as string;
    },
  };
}

/** The real route table on real embedded storage in a temp dir; `close` removes it. */
export async function realRoutes(): Promise<{
  routes: AnyRoute[];
  deps: AdminRouteDeps;
  close(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'strato-admin-http-'));
  const storage = await openEmbeddedStorage({ dataDir: dir });
  const deps = { storage };
  return {
    routes: adminRoutes(deps),
    deps,
    async close() {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestServer {
  readonly access: AdminAccess;
  readonly storage: Storage;
  readonly running: RunningAdminServer;
  readonly errors: unknown[];
  client(): TestClient;
  /** A new administrator (passwords: at least 8 characters). */
  addAdmin(name: string, password: string, role: AdminRole, domains?: string[]): Promise<void>;
  /** An API token of `name` (a cluster administrator), for "Authorization: Bearer". */
  addToken(name: string): Promise<string>;
  /** The newest audit records, newest first, as a cluster administrator sees them. */
  audit(limit?: number): Promise<AuditView[]>;
  close(): Promise<void>;
}

/** A logger that keeps error lines (tests look for the logged event of a 500). */
function recordingLogger(errors: unknown[]): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (fields) => void errors.push(fields),
    child: () => logger,
  };
  return logger;
}

const asCluster = (name: string, via: Principal['via'] = 'cli'): Principal => ({
  name,
  role: 'cluster',
  domains: [],
  via,
});

/**
 * The server with administrators root (cluster, root-password) and dora (domain a.example,
 * dora-password); sign-in is throttled after 3 failures per name. `opts.storage` (the routes'
 * storage) holds the access layer too; without it a temp dir is opened and removed on close.
 */
export async function startTestServer(
  tls: { key: string; cert: string },
  routes: readonly AnyRoute[],
  opts: { maxBodyBytes?: number; storage?: Storage } = {},
): Promise<TestServer> {
  const { storage: given, ...serverOpts } = opts;
  const dir = given ? undefined : await mkdtemp(join(tmpdir(), 'strato-admin-access-'));
  const storage = given ?? (await openEmbeddedStorage({ dataDir: dir! }));
  const access = createAdminAccess({
    store: storage.admin,
    counters: storage.counters,
    clock: systemClock,
    settings: { loginFailuresPerName: 3 },
  });
  const addAdmin: TestServer['addAdmin'] = async (name, password, role, domains) => {
    await access.createAdmin(asCluster('test'), { name, password, role, ...(domains ? { domains } : {}) });
  };
  await addAdmin('root', 'root-password', 'cluster');
  await addAdmin('dora', 'dora-password', 'domain', ['a.example']);
  const errors: unknown[] = [];
  const running = await startAdminServer({
    access,
    routes,
    tls,
    logger: recordingLogger(errors),
    version: 'test',
    port: 0,
    host: '127.0.0.1',
    ...serverOpts,
  });
  return {
    access,
    storage,
    running,
    errors,
    client: () => testClient(running.port, tls.cert),
    addAdmin,
    addToken: async (name) => (await access.createToken(asCluster(name, 'token'), 'test')).token,
    audit: async (limit = 1) => (await access.listAudit(asCluster('test'), { limit })).items,
    async close() {
      await running.close();
      if (dir) {
        await storage.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

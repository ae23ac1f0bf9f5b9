/**
 * Test support for the operations routes: the real route table on real embedded storage, the
 * admin server over it (root: cluster administrator; dora: a.example), signed-in clients that
 * send the CSRF header, and helpers that put a job in the queue and a frontend in the registry.
 */
import { Readable } from 'node:stream';
import type { FrontendHeartbeat } from '../../../../core/ports/cluster-control.ts';
import type { QueueJob } from '../../../../core/ports/mail-queue.ts';
import type { Storage } from '../../../../core/ports/storage.ts';
import { newQueueId } from '../../../../core/util/ids.ts';
import {
  type Reply,
  realRoutes,
  startTestServer,
  type TestServer,
  testCertificate,
} from '../server-test-support.ts';

export interface OpsHarness {
  readonly storage: Storage;
  readonly srv: TestServer;
  /** A client signed in as root (cluster) or dora (a.example) that sends its CSRF token. */
  as(who: 'root' | 'dora'): Promise<Client>;
  enqueue(from: string, to: readonly string[]): Promise<QueueJob>;
  heartbeat(id: string, over?: Partial<FrontendHeartbeat>): Promise<void>;
  close(): Promise<void>;
}

export interface Client {
  get(path: string): Promise<Reply>;
  send(method: string, path: string, json?: unknown): Promise<Reply>;
  /** A form post with the session's CSRF token (pages). */
  form(path: string, form: Record<string, string>): Promise<Reply>;
}

const PASSWORDS = { root: 'root-password', dora: 'dora-password' } as const;

export async function opsHarness(): Promise<OpsHarness> {
  const real = await realRoutes();
  const storage = real.deps.storage;
  const srv = await startTestServer(await testCertificate(), real.routes);
  let seq = 0;
  return {
    storage,
    srv,
    async as(who) {
      const c = srv.client();
      const csrf = await c.login(who, PASSWORDS[who]);
      return {
        get: (path) => c.send('GET', path),
        send: (method, path, json) =>
          c.send(method, path, {
            ...(json === undefined ? {} : { json }),
            headers: { 'x-csrf-token': csrf },
          }),
        form: (path, form) => c.send('POST', path, { form: { ...form, _csrf: csrf } }),
      };
    },
    async enqueue(from, to) {
      const now = Date.now() + seq++;
      const id = newQueueId(now);
      const text = `From: ${from}\r\nSubject: test ${id}\r\nMessage-ID: <${id}@test>\r\n\r\nHello\r\n`;
      const body = await storage.messages.put(id, Readable.from([Buffer.from(text)]));
      const job: QueueJob = {
        id,
        source: 'SMTP',
        createdAt: now,
        body,
        envelope: {
          mailFrom: from,
          recipients: to.map((address) => ({
            address,
            original: address,
            state: 'pending' as const,
            attempts: 0,
          })),
        },
        attempts: 0,
      };
      await storage.queue.enqueue([job]);
      return job;
    },
    heartbeat: (id, over = {}) =>
      storage.control.heartbeatFrontend(
        {
          id,
          group: 'intake',
          address: '127.0.0.1',
          sessions: 2,
          processing: true,
          jobsInFlight: 1,
          concurrency: 4,
          version: 'test',
          startedAt: Date.now(),
          ...over,
        },
        60_000,
      ),
    async close() {
      await srv.close();
      await real.close();
    },
  };
}

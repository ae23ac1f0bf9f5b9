/**
 * Switching queue processing at runtime on a real local cluster: three frontend workers share one
 * data dir, processing is off by environment default and switched on for two of them by id with
 * the CLI; only those two take jobs (each `queue.done` line carries the frontendId of the worker
 * that processed it). While mail flows, one of them is switched off: it logs
 * `queue.processing_stopping`, finishes what it holds, logs `queue.processing_disabled` and takes
 * nothing after that; every accepted message is stored in the mailbox exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { FrontendInfo } from '../../core/ports/cluster-control.ts';
import { cliFor } from '../e2e-cli/run-cli.ts';
import {
  eventually,
  type LogLine,
  PROCESS_TEST_TIMEOUT_MS,
  type RunningProcess,
  startProcess,
} from '../support/cluster.ts';
import {
  ALICE,
  exactlyOnceProblems,
  FAST_DELIVERY_ENV,
  type OutgoingMessage,
  sendStream,
  waitQueueDrained,
} from '../support/delivery.ts';

let cluster: RunningProcess | undefined;
afterAll(async () => {
  await cluster?.stop();
});

async function liveFrontends(dataDir: string): Promise<FrontendInfo[]> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    return await storage.control.listLiveFrontends();
  } finally {
    await storage.close();
  }
}

const JOB_EVENTS = new Set(['queue.done', 'queue.rescheduled', 'queue.process_error']);

describe('queue processing switched on chosen frontends while the cluster runs', () => {
  it(
    'only the named frontends take jobs; one switched off finishes what it holds and takes nothing new',
    async () => {
      cluster = await startProcess({
        entry: 'cluster',
        env: {
          ...FAST_DELIVERY_ENV,
          STRATO_QUEUE_PROCESSING: 'false',
          STRATO_QUEUE_CONTROL_MS: '200',
          STRATO_FRONTEND_WORKERS: '3',
          STRATO_BACKENDS: '1',
        },
      });
      const c = cluster;
      const cli = cliFor(c.dataDir);
      const frontends = await eventually(
        async () => {
          const live = await liveFrontends(c.dataDir);
          return live.length === 3 ? live : undefined;
        },
        20_000,
        'three live frontends',
      );
      const [a, b, idle] = frontends.map((f) => f.id) as [string, string, string];
      expect(frontends.every((f) => !f.processing)).toBe(true);

      await cli.ok(['cluster', 'set', 'processing', `${a},${b}`]);
      const enabled = (id: string) => (l: LogLine) =>
        l.event === 'queue.processing_enabled' && l.frontendId === id;
      await Promise.all([c.waitForLog(enabled(a), 10_000), c.waitForLog(enabled(b), 10_000)]);

      const messages: OutgoingMessage[] = Array.from({ length: 60 }, (_, i) => ({
        token: `switch-${i}`,
        to: [ALICE],
      }));
      let switched: Promise<void> | undefined;
      const sent = await sendStream(c.ports.mx, messages, {
        connections: 4,
        onAccepted: (n) => {
          // Mid-stream: switch b off while mail flows.
          if (n === 25) switched = cli.ok(['cluster', 'set', 'processing', a]).then(() => undefined);
        },
      });
      await switched;
      const disabledLine = await c.waitForLog(
        (l) => l.event === 'queue.processing_disabled' && l.frontendId === b,
        10_000,
      );
      await waitQueueDrained(c.dataDir, 30_000);

      expect(sent.every((s) => s.status === 'accepted')).toBe(true);
      expect(await exactlyOnceProblems(c.dataDir, sent, [ALICE])).toEqual([]);

      const jobLines = c.logs.filter((l) => JOB_EVENTS.has(String(l.event)));
      const by = (id: string) => jobLines.filter((l) => l.frontendId === id);
      expect(by(idle)).toEqual([]);
      expect(by(a).length).toBeGreaterThan(0);
      expect(by(b).length).toBeGreaterThan(0);
      expect(jobLines.length).toBe(by(a).length + by(b).length);
      // After b said it is disabled, it processed nothing more.
      const disabledAt = c.logs.indexOf(disabledLine);
      const bAfter = c.logs
        .slice(disabledAt + 1)
        .filter((l) => l.frontendId === b && JOB_EVENTS.has(String(l.event)));
      expect(bAfter).toEqual([]);
      const stopping = c.logs.find((l) => l.event === 'queue.processing_stopping' && l.frontendId === b);
      expect(stopping).toBeDefined();
      expect(c.logs.indexOf(stopping!)).toBeLessThan(disabledAt);

      // The registry shows the new state.
      const after = await eventually(
        async () => {
          const live = await liveFrontends(c.dataDir);
          const states = Object.fromEntries(live.map((f) => [f.id, f.processing]));
          return states[a] === true && states[b] === false && states[idle] === false ? live : undefined;
        },
        5_000,
        'registry shows a on, b and idle off',
      );
      expect(after).toHaveLength(3);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

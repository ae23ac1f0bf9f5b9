/**
 * Child process for the multi-process tests (run with `node --import tsx`). Modes:
 *   worker <dataDir> <prefix> <count>  enqueue <count> jobs with bodies while receiving and acking
 *                                      any job; prints "ENQ <id>" / "RECV <id>", then "DONE".
 *   enqueue-forever <dataDir> [n]      put a body and enqueue, n (default 4) at a time, printing
 *                                      "ENQ <id> <sha256>" only after the enqueue resolved.
 *   hold <dataDir> <visibilitySeconds> receive one job, print "HELD <id>", then idle.
 * It never exits on its own in the last two modes: the parent kills it with SIGKILL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { newQueueId } from '../../core/util/ids.ts';
import { makeJob } from '../contract/helpers.ts';
import { type EmbeddedStorage, openEmbeddedStorage } from './open.ts';

const [mode, dataDir, ...rest] = process.argv.slice(2);
if (!mode || !dataDir) throw new Error('usage: test-child.ts <mode> <dataDir> ...');
const storage = await openEmbeddedStorage({ dataDir });
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function putAndEnqueue(s: EmbeddedStorage, id: string): Promise<string> {
  const body = Buffer.concat([Buffer.from(`Message-ID: <${id}@test>\r\n\r\n`), randomBytes(1024)]);
  const ref = await s.messages.put(id, Readable.from([body]));
  await s.queue.enqueue([makeJob({ id, body: ref })]);
  return createHash('sha256').update(body).digest('hex');
}

if (mode === 'worker') {
  const prefix = rest[0] ?? 'W';
  const count = Number(rest[1] ?? '100');
  let enqueued = false;
  const producer = (async () => {
    for (let i = 0; i < count; i += 10) {
      const ids = Array.from({ length: Math.min(10, count - i) }, (_, k) => `${prefix}-${i + k}`);
      await Promise.all(ids.map((id) => putAndEnqueue(storage, id).then(() => say(`ENQ ${id}`))));
    }
    enqueued = true;
  })();
  let idle = 0;
  while (!(enqueued && idle >= 5)) {
    const got = await storage.queue.receive({ max: 10, visibilitySeconds: 60, waitMs: 100 });
    for (const leased of got) {
      say(`RECV ${leased.job.id}`);
      await storage.queue.ack(leased.receipt);
    }
    const d = await storage.queue.depth();
    idle = got.length === 0 && d.ready + d.inFlight + d.delayed === 0 ? idle + 1 : 0;
  }
  await producer;
  await storage.close();
  say('DONE');
} else if (mode === 'enqueue-forever') {
  const one = async (): Promise<void> => {
    for (;;) {
      const id = newQueueId();
      const sha = await putAndEnqueue(storage, id);
      say(`ENQ ${id} ${sha}`);
    }
  };
  await Promise.all(Array.from({ length: Number(rest[0] ?? '4') }, one));
} else if (mode === 'hold') {
  const visibilitySeconds = Number(rest[0] ?? '2');
  const [leased] = await storage.queue.receive({ max: 1, visibilitySeconds, waitMs: 10_000 });
  if (!leased) throw new Error('nothing to hold');
  say(`HELD ${leased.job.id}`);
  setInterval(() => {}, 60_000);
} else {
  throw new Error(`unknown mode ${mode}`);
}

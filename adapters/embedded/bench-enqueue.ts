/**
 * Benchmark (not a test): put-body + enqueue throughput of the embedded storage for 1 KB
 * messages, with 10 and 50 concurrent writers in one process, on a fresh temp data dir.
 * Usage: node --import tsx adapters/embedded/bench-enqueue.ts [messagesPerRun] [dataDirParent]
 * Prints msg/s, latency percentiles, directory fsyncs and the enqueue group-commit batch size.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newQueueId } from '../../core/util/ids.ts';
import { makeJob } from '../contract/helpers.ts';
import { openEmbeddedStorage } from './open.ts';

const total = Number(process.argv[2] ?? '5000');
const parent = process.argv[3] ?? tmpdir();

async function run(writers: number): Promise<void> {
  const dir = await mkdtemp(join(parent, 'strato-bench-'));
  const storage = await openEmbeddedStorage({ dataDir: dir });
  const body = randomBytes(1024);
  const latencies: number[] = [];
  let next = 0;
  const syncsBefore = storage.messages.dirSyncer.syncs;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) {
        next++;
        const start = performance.now();
        const id = newQueueId();
        const ref = await storage.messages.put(id, Readable.from([body]));
        await storage.queue.enqueue([makeJob({ id, body: ref })]);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string => latencies[Math.floor((latencies.length - 1) * p)]!.toFixed(1);
  const { enqueueCalls, enqueueCommits } = storage.queue.stats;
  console.log(
    `${String(writers).padStart(3)} writers: ${Math.round(total / seconds)} msg/s ` +
      `(${total} msgs in ${seconds.toFixed(2)} s), latency p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms, ` +
      `dir fsyncs ${storage.messages.dirSyncer.syncs - syncsBefore}, ` +
      `enqueue commits ${enqueueCommits} (avg ${(enqueueCalls / enqueueCommits).toFixed(1)} per commit)`,
  );
  await storage.close();
  await rm(dir, { recursive: true, force: true });
}

for (const writers of [10, 50]) await run(writers);

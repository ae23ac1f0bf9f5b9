/**
 * `npm run bench:aws`: the local cluster on the AWS adapters (emulators), driven over SMTP, to
 * report AWS requests per delivered message — the figure that sets the cost on AWS. Every cluster
 * process counts its SDK requests (STRATO_AWS_REQUEST_LOG) and the sums are divided by the
 * messages stored; idle polling and heartbeats during the run are included. Not a test.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulators } from '../../adapters/aws/testing/emulators.ts';
import { ENV } from '../../core/config/env-names.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { createLocalAwsResources } from '../aws-local-resources.ts';
import { startCluster, stopCluster, waitReady } from './cluster.ts';
import { runE2e } from './e2e.ts';
import { RECIPIENT, SENDER } from './options.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const messages = arg('messages', 500);
const sessions = arg('sessions', 10);
const size = arg('size', 1024);

const emulators = await startEmulators();
const dataDir = await mkdtemp(join(tmpdir(), 'strato-bench-aws-'));
const log = join(dataDir, 'aws-requests');
try {
  const env = { ...(await createLocalAwsResources(emulators.endpoints)), [ENV.awsRequestLog]: log };
  const cluster = await startCluster({ dataDir, env });
  try {
    await waitReady(cluster.host, cluster.port, RECIPIENT, { timeoutMs: 60_000 });
    const storage = await openStorage(parseStorageConfig({ ...env, [ENV.awsRequestLog]: '' }));
    const { report } = await runE2e({
      load: {
        host: cluster.host,
        port: cluster.port,
        sessions,
        messages,
        size,
        sender: SENDER,
        recipient: RECIPIENT,
        stopped: () => false,
      },
      recipients: [RECIPIENT],
      queue: storage.queue,
      mailboxes: storage.mailboxes,
      stallMs: 30_000,
      stopped: () => false,
      progress: (t) => process.stderr.write(`bench:aws: ${t}\n`),
    });
    await storage.close();
    if (report.status !== 'delivered') console.error(`cluster output (tail):\n${cluster.output()}`);
    await stopCluster(cluster.child);
    const totals = new Map<string, number>();
    for (const f of (await readdir(dataDir)).filter((n) => n.startsWith('aws-requests.'))) {
      const counts = JSON.parse(await readFile(join(dataDir, f), 'utf8')) as {
        byOperation: Record<string, number>;
      };
      for (const [op, n] of Object.entries(counts.byOperation)) totals.set(op, (totals.get(op) ?? 0) + n);
    }
    const total = [...totals.values()].reduce((a, b) => a + b, 0);
    const perMessage = report.delivered ? total / report.delivered : null;
    const byOperation = Object.fromEntries(
      [...totals.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, n]) => [
          op,
          { total: n, perMessage: report.delivered ? Number((n / report.delivered).toFixed(3)) : null },
        ]),
    );
    console.log(
      `delivered ${report.delivered}/${report.accepted} in ${report.seconds} s (${report.deliveredPerSecond} msg/s), ${report.status}, missing: ${JSON.stringify(report.missingByStatus)}`,
    );
    console.log(`AWS requests: ${total} in all, ${perMessage?.toFixed(2)} per delivered message`);
    for (const [op, v] of Object.entries(byOperation))
      console.log(`  ${op.padEnd(32)} ${String(v.total).padStart(6)}  ${v.perMessage}/msg`);
    console.log(
      JSON.stringify({
        messages,
        sessions,
        size,
        delivered: report.delivered,
        totalRequests: total,
        perMessage,
        byOperation,
      }),
    );
  } finally {
    if (cluster.child.exitCode === null) await stopCluster(cluster.child);
  }
} finally {
  await emulators.stop();
  await rm(dataDir, { recursive: true, force: true });
}

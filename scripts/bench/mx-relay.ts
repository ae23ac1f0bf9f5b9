/**
 * Relay-only micro-benchmark of direct MX delivery: a loopback DNS server points `bench.test` at
 * an smtp-server sink on 127.0.0.2 (in a child process, so its CPU is not charged), and one
 * MxRelay sends N messages of SIZE bytes from CONC concurrent senders over reused sessions
 * (STRATO_MX_RELAY_CONCURRENCY = CONC). Prints messages/s and the relay process's CPU per message.
 * Usage: node --import tsx scripts/bench/mx-relay.ts [N=5000] [CONC=10] [SIZE=1024]
 */
import { fork } from 'node:child_process';
import { Readable } from 'node:stream';
import { MxRelay } from '../../adapters/net/mx-relay.ts';
import { NodeDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { SmtpSink, startSinks } from '../../test/support/smtp-sink.ts';

if (process.argv[2] === '--sink') {
  const sink = new SmtpSink('127.0.0.2');
  const port = await startSinks([sink]);
  process.send?.({ port });
  setInterval(() => process.send?.({ received: sink.messages.splice(0).length }), 200);
} else {
  const [n = 5000, conc = 10, size = 1024] = process.argv.slice(2).map(Number);
  const child = fork(new URL(import.meta.url).pathname, ['--sink'], { execArgv: ['--import', 'tsx'] });
  let received = 0;
  const port = await new Promise<number>((resolve) =>
    child.on('message', (m: { port?: number; received?: number }) => {
      if (m.port) resolve(m.port);
      if (m.received) received += m.received;
    }),
  );
  const dns = new TestDnsServer();
  await dns.start();
  dns.add({ name: 'bench.test', type: 'MX', data: { preference: 10, exchange: 'mx.bench.test' } });
  dns.add({ name: 'mx.bench.test', type: 'A', data: '127.0.0.2' });
  const relay = new MxRelay({
    dns: new NodeDnsResolver({ servers: [dns.server], timeoutMs: 1000 }),
    clock: systemClock,
    heloName: 'bench.local',
    port,
    timeouts: { connectMs: 5000, greetingMs: 5000, commandMs: 5000, dataMs: 10000 },
    destinations: { concurrency: conc, backoffMs: 1000, maxBackoffMs: 1000 },
    maxTransactionsPerSession: 1_000_000,
    idleMs: 5000,
  });
  const body = Buffer.from(`Subject: bench\r\n\r\n${'x'.repeat(Math.max(0, size - 20))}\r\n`);
  let next = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        const out = await relay.send({
          jobId: `j${i}`,
          mailFrom: 's@bench.local',
          recipients: [`r${i % 100}@bench.test`],
          openBody: async () => Readable.from([body]),
        });
        if ([...out.values()][0]?.kind !== 'delivered') failed += 1;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      messages: n,
      sessions: conc,
      size,
      failed,
      perSecond: Math.round(n / seconds),
      cpuMsPerMessage: +((cpu.user + cpu.system) / 1000 / n).toFixed(3),
    }),
  );
  relay.close();
  dns.close();
  await new Promise((r) => setTimeout(r, 500));
  if (received < n - failed) console.error(`sink counted ${received}`);
  child.kill();
}

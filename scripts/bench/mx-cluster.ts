/**
 * Strato as a relay in direct-MX mode, for `anchors.sh` (EXTRA_CMD): a loopback DNS server makes
 * `bench.test` (smtp-source's sender and recipient domain) an MX pointing at 127.0.0.1, and a
 * local cluster (`local-cluster/main.ts`, fresh temp data dir) listens on PORT, accepts relaying
 * from the loopback (trusted network) and delivers every message by MX lookup to port
 * RELAY_PORT (anchors.sh's counting smtp-sink on 2526). Inbound SPF/DKIM/DMARC checks are off, as
 * on the Postfix anchor. Runs until SIGTERM/SIGINT, which it passes on to the cluster.
 * Usage: node --import tsx scripts/bench/mx-cluster.ts [PORT=2600] [RELAY_PORT=2526]
 *   e.g. EXTRA_NAME=strato EXTRA_PORT=2600 EXTRA_RELAY=1 \
 *        EXTRA_CMD='cd /path/to/strato && exec node --import tsx scripts/bench/mx-cluster.ts 2600' \
 *        bash anchors.sh
 * Failure: a cluster that exits ends this process with its exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { REPO_ROOT } from './cluster.ts';

const [port = 2600, relayPort = 2526] = process.argv.slice(2).map(Number);
const dns = new TestDnsServer();
await dns.start();
dns.add({ name: 'bench.test', type: 'MX', data: { preference: 10, exchange: 'mx.bench.test' } });
dns.add({ name: 'mx.bench.test', type: 'A', data: '127.0.0.1' });

const dataDir = mkdtempSync(join(tmpdir(), 'strato-mx-bench-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  STRATO_DATA_DIR: dataDir,
  STRATO_SMTP_PORT: String(port),
  STRATO_RELAY: 'mx',
  STRATO_MX_RELAY_PORT: String(relayPort),
  STRATO_DNS_SERVERS: dns.server,
  STRATO_TRUSTED_NETWORKS: '127.0.0.0/8',
  STRATO_INBOUND_AUTH: 'off',
};
const cluster = spawn(process.execPath, ['--import', 'tsx', 'local-cluster/main.ts'], {
  cwd: REPO_ROOT,
  env,
  stdio: 'inherit',
});
const stop = (): void => {
  cluster.kill('SIGTERM');
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
cluster.once('exit', async (code) => {
  await dns.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(code ?? 1);
});

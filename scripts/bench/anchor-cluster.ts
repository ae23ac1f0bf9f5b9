/**
 * Strato as the extra column of the side-by-side benchmarks of the anchor scripts
 * (EXTRA_CMD of anchors.sh or local-delivery.sh): a local cluster (`local-cluster/main.ts`, 2
 * frontends, 2 backends, no WebAdmin) on PORT with a fresh data dir, relaying for the loopback
 * (trusted network), inbound SPF/DKIM/DMARC checks off as on the Postfix anchor. MODE:
 *   smarthost  external mail relayed through the smarthost relay to 127.0.0.1:RELAY_PORT
 *   mx         external mail delivered by MX lookup: a loopback DNS server makes `bench.test`
 *              (smtp-source's domain) an MX at 127.0.0.1, delivered to port RELAY_PORT
 *   local      local delivery only (the demo domain's alice); count stored messages with
 *              `find $DATA_DIR/mailboxes -name '*.eml' | wc -l`
 * Runs until SIGTERM/SIGINT, which it passes on to the cluster.
 * Usage: node --import tsx scripts/bench/anchor-cluster.ts MODE [PORT=2600] [RELAY_PORT=2526]
 *   (DATA_DIR=<dir> to choose the data dir; it is emptied first and removed at exit)
 *   e.g. EXTRA_NAME=strato EXTRA_PORT=2600 EXTRA_RELAY=1 \
 *        EXTRA_CMD='cd /path/to/strato && exec node --import tsx scripts/bench/anchor-cluster.ts mx 2600' \
 *        bash anchors.sh
 * Failure: a bad MODE exits 2; a cluster that exits ends this process with its exit code.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { REPO_ROOT } from './cluster.ts';

const [mode = '', portArg = '2600', relayArg = '2526'] = process.argv.slice(2);
if (!['smarthost', 'mx', 'local'].includes(mode)) {
  console.error('usage: anchor-cluster.ts smarthost|mx|local [PORT] [RELAY_PORT]');
  process.exit(2);
}
const dataDir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'strato-anchor-'));
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const env: NodeJS.ProcessEnv = {
  ...process.env,
  STRATO_DATA_DIR: dataDir,
  STRATO_SMTP_PORT: portArg,
  STRATO_TRUSTED_NETWORKS: '127.0.0.0/8',
  STRATO_INBOUND_AUTH: 'off',
  STRATO_ADMIN: 'false',
};
let dns: TestDnsServer | undefined;
if (mode === 'smarthost') {
  Object.assign(env, {
    STRATO_RELAY: 'smarthost',
    STRATO_SMARTHOST_HOST: '127.0.0.1',
    STRATO_SMARTHOST_PORT: relayArg,
  });
} else if (mode === 'mx') {
  dns = new TestDnsServer();
  await dns.start();
  dns.add({ name: 'bench.test', type: 'MX', data: { preference: 10, exchange: 'mx.bench.test' } });
  dns.add({ name: 'mx.bench.test', type: 'A', data: '127.0.0.1' });
  Object.assign(env, { STRATO_RELAY: 'mx', STRATO_MX_RELAY_PORT: relayArg, STRATO_DNS_SERVERS: dns.server });
}
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
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(code ?? 1);
});

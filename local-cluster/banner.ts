/**
 * The short text `npm start` prints once every worker is up: ports, data dir, demo accounts and
 * a one-line way to send a test message. Pure formatting; never fails.
 */
import { DEMO_ACCOUNTS, DEMO_DOMAIN } from './demo-seed.ts';

export interface BannerInfo {
  readonly ports: Readonly<Record<string, number>>;
  readonly host: string;
  readonly dataDir: string;
  readonly workers: number;
  /** LMTP ports of the backends. */
  readonly backends?: readonly number[];
  readonly primaryPid: number;
  /** Whether the demo domain exists (seeded now or on an earlier start). */
  readonly demo: boolean;
  readonly tls: string;
  /** The WebAdmin, when the admin worker runs; the first administrator only on the start that made it. */
  readonly admin?: {
    readonly url: string;
    readonly firstAdmin?: { readonly name: string; readonly password: string };
  };
}

export function formatBanner(info: BannerInfo): string {
  const host = info.host === '0.0.0.0' || info.host === '::' ? '127.0.0.1' : info.host;
  const lines = [
    '',
    `Strato local cluster is up: ${info.workers} frontend worker(s) under primary pid ${info.primaryPid}`,
    `  MX (STARTTLS, no AUTH)          smtp://${host}:${info.ports.mx}`,
    `  submission (STARTTLS, AUTH)     smtp://${host}:${info.ports.submission}`,
    `  implicit TLS (AUTH)             smtps://${host}:${info.ports.smtps}`,
    ...(info.backends?.length
      ? [`  backends (LMTP)                 ${info.backends.map((p) => `127.0.0.1:${p}`).join(', ')}`]
      : []),
    ...(info.admin ? [`  WebAdmin and admin API (HTTPS)  ${info.admin.url}`] : []),
    `  data dir                        ${info.dataDir}`,
    `  TLS certificate                 ${info.tls}`,
  ];
  const first = info.admin?.firstAdmin;
  if (first) {
    lines.push(
      '  first administrator (shown once; `npx strato admin set-password` sets a new password):',
      `    name: ${first.name}  password: ${first.password}`,
    );
  }
  if (info.demo) {
    lines.push(`  demo accounts (${DEMO_DOMAIN}):`);
    for (const a of DEMO_ACCOUNTS) lines.push(`    ${a.name}@${DEMO_DOMAIN}  password: ${a.password}`);
    lines.push(
      '',
      'Send a test message to alice, then read her INBOX with `npx strato mailbox list alice@demo.strato.test`:',
      `  printf 'Subject: hello\\r\\n\\r\\nHi Alice!\\r\\n' | curl -sS smtp://${host}:${info.ports.mx} --mail-from you@example.org --mail-rcpt alice@${DEMO_DOMAIN} -T -`,
      'Submit as alice (STARTTLS + AUTH, self-signed certificate):',
      `  printf 'Subject: hi Bob\\r\\n\\r\\nFrom Alice\\r\\n' | curl -sS --ssl-reqd -k smtp://${host}:${info.ports.submission} --user alice@${DEMO_DOMAIN}:${DEMO_ACCOUNTS[0]!.password} --mail-from alice@${DEMO_DOMAIN} --mail-rcpt bob@${DEMO_DOMAIN} -T -`,
    );
  }
  lines.push('', 'Ctrl-C stops the cluster gracefully.', '');
  return lines.join('\n');
}

import { describe, expect, it } from 'vitest';
import { formatBanner } from './banner.ts';
import { backoffDelay } from './supervisor.ts';

describe('worker restart backoff', () => {
  it('restarts a long-lived worker at once and backs off exponentially in a crash loop', () => {
    expect(backoffDelay(0)).toBe(100);
    expect([1, 2, 3, 4].map(backoffDelay)).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20)).toBe(30_000);
  });
});

describe('banner', () => {
  it('names the ports, the demo accounts and a test command', () => {
    const text = formatBanner({
      ports: { mx: 2525, submission: 2587, smtps: 2465 },
      host: '0.0.0.0',
      dataDir: '/data',
      workers: 2,
      primaryPid: 42,
      demo: true,
      tls: 'self-signed',
    });
    expect(text).toContain('smtp://127.0.0.1:2525');
    expect(text).toContain('smtps://127.0.0.1:2465');
    expect(text).toContain('alice@demo.strato.test  password: alice-demo-password');
    expect(text).toContain(
      'curl -sS smtp://127.0.0.1:2525 --mail-from you@example.org --mail-rcpt alice@demo.strato.test -T -',
    );
    expect(
      formatBanner({
        ports: {},
        host: '::1',
        dataDir: '/d',
        workers: 1,
        primaryPid: 1,
        demo: false,
        tls: 't',
      }),
    ).not.toContain('alice');
  });

  it('shows the WebAdmin and, once, the first administrator', () => {
    const base = {
      ports: { mx: 1 },
      host: '127.0.0.1',
      dataDir: '/d',
      workers: 1,
      primaryPid: 1,
      demo: false,
      tls: 't',
    };
    const first = formatBanner({
      ...base,
      admin: { url: 'https://127.0.0.1:8443/', firstAdmin: { name: 'admin', password: 'pw-123' } },
    });
    expect(first).toContain('WebAdmin and admin API (HTTPS)  https://127.0.0.1:8443/');
    expect(first).toContain('name: admin  password: pw-123');
    expect(first).toContain('strato admin set-password');
    const later = formatBanner({ ...base, admin: { url: 'https://127.0.0.1:8443/' } });
    expect(later).toContain('https://127.0.0.1:8443/');
    expect(later).not.toContain('password:');
  });
});

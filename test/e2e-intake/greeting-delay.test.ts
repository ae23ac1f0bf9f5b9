/**
 * The greeting delay per listener and the per-task session cap on a real frontend process:
 * - MX with a wait (STRATO_MX_GREETING_DELAY_MS, long here so the race is never close): a client
 *   that talks before the 220 is refused 421 ("You talk too soon") and closed;
 * - submission and implicit TLS (no wait by default): a client that talks at once is not refused,
 *   it gets the greeting and then its answer;
 * - a client in the trusted networks (STRATO_TRUSTED_NETWORKS) skips the MX wait: talking first,
 *   it gets the greeting at once and then its answer;
 * - STRATO_MAX_CLIENTS=3: the fourth session on a listener is answered 421 4.3.2 naming the cap
 *   and closed; once one of the three has left a new session is greeted again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type RunningProcess, startProcess } from '../support/cluster.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

let frontend: RunningProcess;

beforeAll(async () => {
  frontend = await startProcess({
    entry: 'frontend',
    env: {
      STRATO_MAX_CLIENTS: '3',
      STRATO_MX_GREETING_DELAY_MS: '5000',
    },
  });
}, 60_000);

afterAll(async () => {
  const result = await frontend?.stop();
  expect(result?.code).toBe(0);
});

/** Connect and write EHLO at once, before any greeting could have arrived. */
async function earlyTalker(port: number, tls = false): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port, { tls });
  c.write('EHLO early.example\r\n');
  return c;
}

describe('greeting delay per listener', () => {
  it('MX with a wait: a client that talks first is refused 421 and closed', async () => {
    const c = await earlyTalker(frontend.ports.mx);
    const reply = await c.read();
    expect(reply.code).toBe(421);
    expect(reply.last).toContain('You talk too soon');
    await c.waitClosed();
  });

  it('submission (no wait): a client that talks first gets the greeting, then its EHLO answer', async () => {
    const c = await earlyTalker(frontend.ports.submission);
    expect((await c.read()).code).toBe(220);
    expect((await c.read()).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
    c.close();
  });

  it('implicit TLS (no wait): the same over TLS', async () => {
    const c = await earlyTalker(frontend.ports.smtps, true);
    expect((await c.read()).code).toBe(220);
    expect((await c.read()).code).toBe(250);
    c.close();
  });
});

describe('per-task session cap (STRATO_MAX_CLIENTS=3)', () => {
  it('answers the fourth session 421 4.3.2 and closes it; a freed slot is taken again', async () => {
    // Sessions of the tests above may still be closing: wait for three greeted sessions.
    const held: RawSmtp[] = [];
    await eventually(
      async () => {
        const c = await RawSmtp.connect(frontend.ports.submission);
        if ((await c.read()).code === 220) held.push(c);
        else c.close();
        return held.length === 3 ? true : undefined;
      },
      10_000,
      'three sessions',
    );
    const fourth = await RawSmtp.connect(frontend.ports.submission);
    expect((await fourth.read()).last).toBe(
      '421 4.3.2 Too many connected clients on this server (limit 3), try again in a moment',
    );
    await fourth.waitClosed();
    held.pop()!.close();
    const again = await eventually(
      async () => {
        const c = await RawSmtp.connect(frontend.ports.submission);
        if ((await c.read()).code === 220) return c;
        c.close();
        return undefined;
      },
      10_000,
      'a session in the freed slot',
    );
    again.close();
    for (const c of held) c.close();
  });
});

describe('greeting delay and trusted networks', () => {
  it('MX with a wait greets a trusted client at once; its early EHLO is answered', async () => {
    const trusting = await startProcess({
      entry: 'frontend',
      env: { STRATO_MX_GREETING_DELAY_MS: '60000', STRATO_TRUSTED_NETWORKS: '127.0.0.0/8' },
    });
    try {
      const c = await earlyTalker(trusting.ports.mx);
      // A 60 s wait no test run reaches: the 220 can only come from the exemption.
      expect((await c.read()).code).toBe(220);
      expect((await c.read()).code).toBe(250);
      expect((await c.command('QUIT')).code).toBe(221);
      c.close();
    } finally {
      expect((await trusting.stop()).code).toBe(0);
    }
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/cluster.ts';
import { RawSmtp } from '../../test/support/raw-smtp.ts';
import { installGreetingDelay, REQUIRED_METHODS, setGreetingDelay } from './smtp-greeting-delay.ts';

installGreetingDelay();

/**
 * The smtp-server release whose SMTPConnection.init the module replaces. An upgrade fails here
 * on purpose: compare its init (and _onCommand's early-talker branch) with smtp-greeting-delay.ts,
 * then move the pin.
 */
const PINNED_VERSION = '3.21.6';

const connectionSource = () =>
  readFileSync(fileURLToPath(import.meta.resolve('smtp-server/lib/smtp-connection.js')), 'utf8');

describe('the smtp-server internals the greeting delay replaces', () => {
  it('is the pinned smtp-server release', () => {
    const pkg = JSON.parse(
      readFileSync(fileURLToPath(import.meta.resolve('smtp-server/package.json')), 'utf8'),
    ) as { version: string };
    expect(pkg.version, 'smtp-server was upgraded: re-check smtp-greeting-delay.ts').toBe(PINNED_VERSION);
  });

  it('has the init, early-talker reply, greeting order and TCP_NODELAY the module relies on', () => {
    const src = connectionSource();
    // init: the cap check, then the fixed wait (this is what init's replacement reproduces).
    expect(src).toMatch(
      /init\(\) \{\s*\/\/ Setup event handlers for the socket\s*this\._setListeners\(\(\) => \{\s*\/\/ Check that connection limit is not exceeded\s*if \(this\._server\.options\.maxClients && this\._server\.connections\.size > this\._server\.options\.maxClients\) \{\s*return this\.send\(421, this\.name \+ ' Too many connected clients, try again in a moment', false\);\s*\}\s*\/\/ Keep a small delay for detecting early talkers\s*let readyTimer = setTimeout\(\(\) => this\.connectionReady\(\), 100\);\s*\/\/ Unref timer so connection init delay doesn't prevent process exit\s*readyTimer\.unref\(\);\s*\}\);\s*\}/,
    );
    expect(src).toContain("return this.send(421, this.name + ' You talk too soon', commandName);");
    expect(src).toMatch(/this\._ready = true;[\s\S]{0,400}?this\._sendGreeting\(\);/);
    expect(src).toContain('socket.setNoDelay(true);');
  });

  it('finds every method it wraps', async () => {
    const { SMTPConnection } = await import('smtp-server/lib/smtp-connection.js');
    for (const m of REQUIRED_METHODS)
      expect(typeof (SMTPConnection.prototype as never)[m], m).toBe('function');
  });
});

interface ConnInternals {
  session: SMTPServerSession;
  _socket: { bytesRead: number };
}

/**
 * A server whose onConnect returns only once the client's first bytes were read: a command the
 * client writes at connect time is then certainly in before the greeting (no race with a timer).
 */
async function server(
  delay: number | undefined,
  extra: Partial<SMTPServerOptions> = {},
  exempt?: (ip: string) => boolean,
) {
  const s: SMTPServer = new SMTPServer({
    logger: false,
    authOptional: true,
    disableReverseLookup: true,
    onConnect(session, callback) {
      if (extra.maxClients) return callback();
      const conn = [...(s.connections as Set<unknown> as Set<ConnInternals>)].find(
        (c) => c.session === session,
      );
      void eventually(
        async () => ((conn?._socket.bytesRead ?? 0) > 0 ? true : undefined),
        5000,
        'client bytes',
      )
        .then(() => callback())
        .catch(callback);
    },
    ...extra,
  });
  if (delay !== undefined) setGreetingDelay(s, delay, exempt);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  servers.push(s);
  return (s.server.address() as AddressInfo).port;
}

const servers: SMTPServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('greeting delay over a socket', () => {
  it('0: a client that talks first is not refused: it gets the greeting, then its answer', async () => {
    const c = await RawSmtp.connect(await server(0));
    c.write('EHLO early.example\r\n');
    expect((await c.read()).code).toBe(220);
    expect((await c.read()).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
    c.close();
  });

  it('> 0: a client that talks first is refused 421 "You talk too soon" and closed', async () => {
    const c = await RawSmtp.connect(await server(5));
    c.write('EHLO early.example\r\n');
    const reply = await c.read();
    expect(reply.code).toBe(421);
    expect(reply.last).toContain('You talk too soon');
    await c.waitClosed();
  });

  it('> 0 with the client exempt (trusted network): greeted at once, an early command answered', async () => {
    const seen: string[] = [];
    const exempt = (ip: string) => {
      seen.push(ip);
      return ip === '127.0.0.1';
    };
    // A delay no test would wait out: the greeting can only come from the exemption.
    const c = await RawSmtp.connect(await server(60_000, {}, exempt));
    c.write('EHLO early.example\r\n');
    expect((await c.read()).code).toBe(220);
    expect((await c.read()).code).toBe(250);
    expect(seen).toEqual(['127.0.0.1']);
    c.close();
  });

  it('> 0 with the client not exempt: still refused as an early talker', async () => {
    const c = await RawSmtp.connect(await server(5, {}, () => false));
    c.write('EHLO early.example\r\n');
    expect((await c.read()).last).toContain('You talk too soon');
    await c.waitClosed();
  });

  it('unset: smtp-server refuses the early talker as well', async () => {
    const c = await RawSmtp.connect(await server(undefined));
    c.write('EHLO early.example\r\n');
    expect((await c.read()).last).toContain('You talk too soon');
    await c.waitClosed();
  });

  it('0: a client that waits is greeted and served as usual', async () => {
    const c = await RawSmtp.connect(await server(0, { onConnect: (_s, cb) => cb() }));
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO ok.example')).code).toBe(250);
    c.close();
  });

  it('keeps the session cap: past maxClients a session is answered 421 and closed', async () => {
    const port = await server(0, { maxClients: 1 });
    const first = await RawSmtp.connect(port);
    expect((await first.read()).code).toBe(220);
    const second = await RawSmtp.connect(port);
    const refused = await second.read();
    expect(refused.code).toBe(421);
    expect(refused.last).toContain('Too many connected clients');
    await second.waitClosed();
    first.close();
  });

  it('refuses a negative or fractional delay', () => {
    const s = new SMTPServer({ logger: false });
    expect(() => setGreetingDelay(s, -1)).toThrow(RangeError);
    expect(() => setGreetingDelay(s, 1.5)).toThrow(RangeError);
  });
});

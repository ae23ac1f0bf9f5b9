import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replies } from '../../core/mail/smtp-replies.ts';
import { eventually } from '../../test/support/cluster.ts';
import { RawSmtp } from '../../test/support/raw-smtp.ts';
import { smtpError, smtpReply } from './smtp-errors.ts';
import {
  COMMAND_GUARD,
  type CommandGuard,
  rawCommandAddress,
  textCarriesEnhancedCode,
} from './smtp-replies-shim.ts';

describe('enhanced status code shim (real smtp-server over a socket)', () => {
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideENHANCEDSTATUSCODES: false,
      disableReverseLookup: true,
      onRcptTo(address, _session, callback) {
        const local = address.address.split('@')[0];
        if (local === 'relay') return callback(smtpError(replies.relayDenied(address.address)));
        if (local === 'unknown') return callback(smtpError(replies.unknownUser(address.address)));
        if (local === 'toobig')
          return callback(smtpError(replies.messageTooBigForRecipient(address.address, 10)));
        if (local === 'plain')
          return callback(Object.assign(new Error('no code of ours'), { responseCode: 550 }));
        if (local === 'mismatch')
          return callback(Object.assign(new Error('2.0.0 wrong class'), { responseCode: 554 }));
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(null, smtpReply(replies.accepted('QID123')).message));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends our enhanced code once, and smtp-server keeps its own where we gave none', async () => {
    const c = await RawSmtp.connect(port);
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).lines).toContain('ENHANCEDSTATUSCODES');
    expect((await c.command('MAIL FROM:<a@b.test>')).last).toBe('250 2.1.0 Accepted');
    expect((await c.command('RCPT TO:<relay@x.test>')).last).toBe(
      '554 5.7.1 <relay@x.test>: Relay access denied',
    );
    expect((await c.command('RCPT TO:<unknown@x.test>')).last).toBe(
      '550 5.1.1 <unknown@x.test>: Recipient address rejected: no such user',
    );
    expect((await c.command('RCPT TO:<toobig@x.test>')).last).toBe(
      "552 5.2.3 <toobig@x.test>: message exceeds the recipient's size limit (10 bytes)",
    );
    expect((await c.command('RCPT TO:<plain@x.test>')).last).toBe('550 5.1.1 no code of ours');
    expect((await c.command('RCPT TO:<mismatch@x.test>')).last).toBe('554 5.6.0 2.0.0 wrong class');
    expect((await c.command('RCPT TO:<ok@x.test>')).last).toBe('250 2.1.5 Accepted');
    expect((await c.command('DATA')).code).toBe(354);
    expect((await c.command('Subject: x\r\n\r\nbody\r\n.')).last).toBe('250 2.0.0 Ok: queued as QID123');
    expect((await c.command('QUIT')).last).toBe('221 2.0.0 Bye');
    c.close();
  });

  it('answers EXPN with 502 5.5.1 (smtp-server alone says 500)', async () => {
    const c = await RawSmtp.connect(port);
    expect((await c.read()).code).toBe(220);
    await c.command('EHLO client.test');
    expect((await c.command('EXPN staff')).last).toBe('502 5.5.1 EXPN is not implemented');
    expect((await c.command('QUIT')).code).toBe(221);
    c.close();
  });

  it('recognises a leading enhanced code only in the reply class', () => {
    expect(textCarriesEnhancedCode(554, '5.7.1 x')).toBe(true);
    expect(textCarriesEnhancedCode(451, '4.3.0 x')).toBe(true);
    expect(textCarriesEnhancedCode(250, '2.0.0 x')).toBe(true);
    expect(textCarriesEnhancedCode(554, '4.3.0 x')).toBe(false);
    expect(textCarriesEnhancedCode(554, '5.7.1')).toBe(false);
    expect(textCarriesEnhancedCode(554, 'Error: 5.7.1 x')).toBe(false);
    expect(textCarriesEnhancedCode(554, ['5.7.1 x'])).toBe(false);
  });
});

describe('command guard (real smtp-server over a socket)', () => {
  let server: SMTPServer;
  let port: number;
  const seen: [string, boolean | number][] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      onConnect(session, callback) {
        let bad = 0;
        const verdict = () => {
          bad++;
          return bad > 3
            ? { delayMs: 0, close: replies.sessionLimit('unknown or bad commands', 3) }
            : { delayMs: bad * 20 };
        };
        const guard: CommandGuard = {
          command(command, unknown) {
            seen.push([command, unknown]);
            return unknown ? verdict() : { delayMs: 0 };
          },
          badCommand(code) {
            seen.push(['bad', code]);
            return verdict();
          },
        };
        (session as { [COMMAND_GUARD]?: CommandGuard })[COMMAND_GUARD] = guard;
        callback();
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('shows each command line and bad-command reply first, delays as told, keeps the order, closes with its 421', async () => {
    const c = await RawSmtp.connect(port);
    expect((await c.read()).code).toBe(220);
    // Pipelined: a delayed error reply must still come before the replies to the lines after it.
    c.write('EHLO client.test\r\nFOO\r\nNOOP\r\nAUTH PLAIN\r\nRCPT TO:<x@y.test>\r\nNOOP\r\n');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await c.read());
    expect(answers.map((a) => a.code)).toEqual([250, 500, 250, 500, 503, 250]);
    expect((await c.command('BAR')).last).toBe(
      '421 4.7.0 Too many unknown or bad commands in this session (limit 3), closing connection',
    );
    await c.waitClosed();
    expect(seen).toEqual([
      ['EHLO', false],
      ['FOO', true],
      ['NOOP', false],
      ['AUTH', true],
      ['RCPT', false],
      ['bad', 503],
      ['NOOP', false],
      ['BAR', true],
    ]);
  });
});

describe('rawCommandAddress', () => {
  it('gives the address as sent, A-label domains untouched and source routes dropped', () => {
    expect(rawCommandAddress('MAIL FROM:<a@xn--bcher-kva.example> SMTPUTF8')).toBe('a@xn--bcher-kva.example');
    expect(rawCommandAddress('RCPT TO: <@relay.example:b@example.org>')).toBe('b@example.org');
    expect(rawCommandAddress('MAIL FROM:<>')).toBe('');
    expect(rawCommandAddress('RCPT TO:postmaster')).toBeUndefined();
  });
});

describe('the session cap (maxClients) over a socket', () => {
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({ logger: false, authOptional: true, disableReverseLookup: true, maxClients: 1 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a session past the cap 421 4.3.2 naming the cap, and closes it', async () => {
    const first = await RawSmtp.connect(port);
    expect((await first.read()).code).toBe(220);
    const second = await RawSmtp.connect(port);
    const refused = await second.read();
    expect(refused.last).toBe(
      '421 4.3.2 Too many connected clients on this server (limit 1), try again in a moment',
    );
    await eventually(async () => (second.closed ? true : undefined), 5000, 'the refused session closed');
    first.close();
  });
});

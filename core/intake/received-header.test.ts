import { describe, expect, it } from 'vitest';
import { ReceivedHopCounter } from './hop-counter.ts';
import { addressLiteral, formatReceivedHeader, formatRfc5322Date, protocolName } from './received-header.ts';

const date = new Date(Date.UTC(2025, 10, 27, 9, 5, 3));

describe('Received header', () => {
  it('formats an RFC 5322 date in UTC', () => {
    expect(formatRfc5322Date(date)).toBe('Thu, 27 Nov 2025 09:05:03 +0000');
  });

  it('names the protocol after TLS and AUTH (RFC 3848)', () => {
    expect(protocolName({ esmtp: true, tls: false, authenticated: false })).toBe('ESMTP');
    expect(protocolName({ esmtp: true, tls: true, authenticated: false })).toBe('ESMTPS');
    expect(protocolName({ esmtp: true, tls: true, authenticated: true })).toBe('ESMTPSA');
    expect(protocolName({ esmtp: true, tls: false, authenticated: true })).toBe('ESMTPA');
    expect(protocolName({ esmtp: false, tls: true, authenticated: true })).toBe('SMTP');
  });

  it('writes address literals for IPv4, mapped IPv4 and IPv6', () => {
    expect(addressLiteral('192.0.2.7')).toBe('[192.0.2.7]');
    expect(addressLiteral('::ffff:192.0.2.7')).toBe('[192.0.2.7]');
    expect(addressLiteral('2001:db8::1')).toBe('[IPv6:2001:db8::1]');
  });

  it('names the single recipient and folds the header', () => {
    const header = formatReceivedHeader({
      helo: 'client.example',
      ip: '::ffff:192.0.2.7',
      hostname: 'mx.strato.test',
      esmtp: true,
      tls: true,
      authenticated: false,
      queueId: '01KB0000000000000000',
      recipient: 'alice@demo.strato.test',
      date,
    });
    expect(header).toBe(
      'Received: from client.example ([192.0.2.7])\r\n' +
        '\tby mx.strato.test (Strato) with ESMTPS id 01KB0000000000000000\r\n' +
        '\tfor <alice@demo.strato.test>; Thu, 27 Nov 2025 09:05:03 +0000\r\n',
    );
  });

  it('leaves out "for" with several recipients and strips injected line breaks', () => {
    const header = formatReceivedHeader({
      helo: 'evil\r\nX-Injected: yes',
      ip: '10.0.0.1',
      hostname: 'mx',
      esmtp: true,
      tls: false,
      authenticated: true,
      queueId: 'Q',
      date,
    });
    expect(header).toBe(
      'Received: from evilX-Injected:yes ([10.0.0.1])\r\n\tby mx (Strato) with ESMTPA id Q;\r\n\tThu, 27 Nov 2025 09:05:03 +0000\r\n',
    );
    expect(header.match(/\r\n/g)).toHaveLength(3);
  });

  it('names the authenticated account in a comment after the client (who sent it is recorded)', () => {
    const header = formatReceivedHeader({
      helo: 'laptop',
      ip: '192.0.2.9',
      hostname: 'mx',
      esmtp: true,
      tls: true,
      authenticated: true,
      authUser: 'alice@demo.strato.test\r\nX-Evil: 1',
      queueId: 'Q',
      date,
    });
    expect(header).toBe(
      'Received: from laptop ([192.0.2.9])\r\n\t(authenticated as alice@demo.strato.testX-Evil:1)\r\n' +
        '\tby mx (Strato) with ESMTPSA id Q;\r\n\tThu, 27 Nov 2025 09:05:03 +0000\r\n',
    );
  });
});

describe('ReceivedHopCounter', () => {
  function count(chunks: string[]): ReceivedHopCounter {
    const c = new ReceivedHopCounter();
    for (const chunk of chunks) c.push(Buffer.from(chunk));
    return c;
  }

  it('counts Received headers case-insensitively in the header block only', () => {
    const msg =
      'Received: a\r\nRECEIVED: b\r\n\tcontinued received: no\r\nX-Received: no\r\nreceived:c\r\nSubject: s\r\n\r\nReceived: body\r\n';
    const c = count([msg]);
    expect(c.hops).toBe(3);
    expect(c.headersDone).toBe(true);
  });

  it('counts a header name split across chunks', () => {
    const msg = 'Received: a\r\nReceived: b\r\n\r\nReceived: body';
    for (let i = 0; i <= msg.length; i++) expect(count([msg.slice(0, i), msg.slice(i)]).hops).toBe(2);
  });

  it('does not count "Received" without the colon', () => {
    expect(count(['Receivedx: a\r\nReceived : b\r\n\r\n']).hops).toBe(0);
  });
});

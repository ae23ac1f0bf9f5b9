import { describe, expect, it } from 'vitest';
import { MessageIdSniffer } from './message-id-sniffer.ts';

function sniff(...chunks: string[]): string | undefined {
  const s = new MessageIdSniffer();
  for (const c of chunks) s.push(Buffer.from(c, 'latin1'));
  return s.messageId;
}

describe('MessageIdSniffer', () => {
  it('finds the header in any case, split across chunks and folded', () => {
    expect(sniff('Subject: x\r\nmessage-ID:  <a@b>\r\n\r\nbody')).toBe('<a@b>');
    expect(sniff('Subject: x\r\nMessage-', 'Id:\r\n <split@b>\r', '\n\r\nbody')).toBe('<split@b>');
  });

  it('looks at the header section only', () => {
    expect(sniff('Subject: x\r\n\r\nMessage-ID: <in-body@b>\r\n')).toBeUndefined();
    expect(sniff('\r\nMessage-ID: <in-body@b>\r\n')).toBeUndefined();
    expect(sniff('Subject: x\r\n\r\n', 'Message-ID: <later@b>\r\n')).toBeUndefined();
  });
});

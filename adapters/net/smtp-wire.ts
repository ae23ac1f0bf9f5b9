/**
 * The two halves of the SMTP/LMTP wire every client of ours needs: assembling a server's
 * (multi-line) replies from the text it sends, and writing a message body dot-stuffed with its
 * terminating ".". Shared by the LMTP channel's line client and the MX relay's sessions.
 * Neither holds more than one unfinished line (or the last two octets written).
 */
import type { Reply } from '../../core/mail/outcome.ts';
import { parseReply } from '../../core/mail/smtp-replies.ts';

/** A reply line that is not SMTP: the connection is out of step and must be dropped. */
export interface BadReplyLine {
  readonly bad: string;
}

/** Collects reply lines ("250-…" continues, "250 …" or a bare "250" ends) into Replies. */
export class ReplyAssembler {
  private buffer = '';
  private lines: string[] = [];

  /** Feed received text; the replies (or the bad line) it completes, in order. */
  push(text: string): (Reply | BadReplyLine)[] {
    this.buffer += text;
    const out: (Reply | BadReplyLine)[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      this.lines.push(line);
      if (/^\d{3}-/.test(line)) continue;
      const text = this.lines.map((l) => l.slice(4)).join('\n');
      const code = line.slice(0, 3);
      this.lines = [];
      const reply = text.trim()
        ? parseReply(`${code} ${text}`)
        : /^[2-5]\d\d$/.test(code)
          ? { code: Number(code), enhanced: `${code[0]}.0.0`, text: '' }
          : undefined;
      out.push(reply ?? { bad: line.slice(0, 200) });
    }
    return out;
  }
}

export function isBadReplyLine(r: Reply | BadReplyLine): r is BadReplyLine {
  return 'bad' in r;
}

/**
 * Write a CRLF message body with dot-stuffing (a "." starting any line gets a second one), then
 * the terminating "." on a line of its own. `write` waits for the socket to take more;
 * `beforeEnd` runs just before the terminator is written (a client starts waiting for the reply).
 */
export async function writeDotStuffed(
  body: AsyncIterable<Buffer | string>,
  write: (data: Buffer | string) => Promise<void>,
  beforeEnd?: () => void,
): Promise<void> {
  let atLineStart = true;
  let lastTwo = '';
  for await (const chunk of body) {
    let text = Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
    if (text.length === 0) continue;
    text = (atLineStart && text.startsWith('.') ? '.' : '') + text.replace(/\n\./g, '\n..');
    atLineStart = text.endsWith('\n');
    lastTwo = (lastTwo + text).slice(-2);
    await write(Buffer.from(text, 'latin1'));
  }
  beforeEnd?.();
  await write(lastTwo === '\r\n' ? '.\r\n' : '\r\n.\r\n');
}

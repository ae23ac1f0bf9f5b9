/**
 * RFC 5321 §4.5.3.1.6 line length for mail we send on: a line longer than `limit` octets
 * (998, not counting CRLF) is broken by inserting CRLF SPACE, as Postfix's smtp_line_length_limit
 * does (a continuation that keeps header fields valid and does least harm to MIME bodies), so a
 * strict next hop does not refuse the message. Streams; never buffers more than one chunk.
 * Octets are counted, not characters.
 */

export const SMTP_LINE_LIMIT = 998;

const CR = 0x0d;
const LF = 0x0a;
const FOLD = Buffer.from('\r\n ');

/** The message with every line over `limit` octets folded (CRLF SPACE inserted). */
export async function* foldLongLines(
  message: AsyncIterable<Uint8Array | string>,
  limit: number = SMTP_LINE_LIMIT,
): AsyncGenerator<Buffer> {
  // Octets on the current line so far (a CR waiting for its LF counts as not yet on it).
  let column = 0;
  for await (const raw of message) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : Buffer.from(raw);
    const out: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === LF) {
        column = 0;
        continue;
      }
      // A CR right before its LF does not count toward the line (the limit excludes CRLF).
      if (b === CR && (i + 1 < chunk.length ? chunk[i + 1] === LF : true)) continue;
      if (column === limit) {
        out.push(chunk.subarray(start, i), FOLD);
        start = i;
        column = 1; // the inserted space
      }
      column += 1;
    }
    out.push(chunk.subarray(start));
    yield Buffer.concat(out);
  }
}

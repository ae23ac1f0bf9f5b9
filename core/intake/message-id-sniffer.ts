/**
 * Picks the Message-ID header out of a message while it streams past (inside IntakeBodyStream),
 * so intake can name the message in its job and its history without reading the body again.
 * It keeps the header section's bytes only, up to a small limit, and parses them once asked.
 * Expects CRLF-normalised input. A message without the header, or whose Message-ID comes after
 * the limit, has none; it never fails.
 */

const LIMIT = 32 * 1024;
const END = Buffer.from('\r\n\r\n');

export class MessageIdSniffer {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private done = false;

  push(chunk: Buffer): void {
    if (this.done) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    // The start of the body (or the limit) ends the header section; the whole (small) buffer is
    // searched, so an empty line split across chunks is found too.
    if (this.bytes >= LIMIT || Buffer.concat(this.chunks).includes(END)) this.done = true;
  }

  /** The Message-ID header's value (unfolded, trimmed), or undefined. */
  get messageId(): string | undefined {
    const text = Buffer.concat(this.chunks).subarray(0, LIMIT).toString('latin1');
    if (text.startsWith('\r\n')) return undefined; // no header section at all
    const section = text.split('\r\n\r\n', 1)[0] ?? '';
    const unfolded = section.replace(/\r\n[ \t]+/g, ' ');
    for (const line of unfolded.split('\r\n')) {
      const m = /^message-id[ \t]*:(.*)$/i.exec(line);
      if (m) return m[1]!.trim() || undefined;
    }
    return undefined;
  }
}

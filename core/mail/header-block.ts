/**
 * Reads the header block of a stored message for the rules: bytes up to the empty line that ends
 * the header section, at most 64 KiB (a longer section is cut there), decoded as UTF-8 when valid
 * and as Latin-1 otherwise. The stream is destroyed afterwards; only a failing stream rejects.
 */
import type { Readable } from 'node:stream';

export const HEADER_BLOCK_LIMIT = 64 * 1024;

function decode(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Offset of the empty line ending the header section (CRLF or LF), or -1. */
function sectionEnd(bytes: Buffer): number {
  if (bytes[0] === 0x0a || (bytes[0] === 0x0d && bytes[1] === 0x0a)) return 0;
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf < 0) return lf < 0 ? -1 : lf + 1;
  return lf < 0 || crlf + 2 <= lf + 1 ? crlf + 2 : lf + 1;
}

export async function readHeaderBlock(stream: Readable, limit = HEADER_BLOCK_LIMIT): Promise<string> {
  let bytes = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
      bytes = Buffer.concat([bytes, buf]);
      const end = sectionEnd(bytes);
      if (end >= 0) return decode(bytes.subarray(0, Math.min(end, limit)));
      if (bytes.length >= limit) return decode(bytes.subarray(0, limit));
    }
    return decode(bytes);
  } finally {
    stream.destroy();
  }
}

/**
 * Message headers for display: the header block of a stored message (read up to the first empty
 * line, at most 64 KiB, then the stream is closed), unfolded fields, RFC 2047 encoded words
 * decoded, and control characters made harmless for a terminal. Nothing here throws on odd
 * input: an unknown charset leaves the encoded word as it was; only a failing stream rejects.
 */
import type { Readable } from 'node:stream';

const HEADER_LIMIT = 64 * 1024;

/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (every byte maps to one character). */
function text(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** The header block of a message stream (without the empty line that ends it). */
export async function readHeaderBlock(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
      chunks.push(buf);
      size += buf.length;
      const all = Buffer.concat(chunks);
      const end = /\r?\n\r?\n/.exec(all.toString('latin1'));
      if (end) return text(all.subarray(0, end.index));
      if (size >= HEADER_LIMIT) return text(all.subarray(0, HEADER_LIMIT));
      chunks.splice(0, chunks.length, all);
    }
    return text(Buffer.concat(chunks));
  } finally {
    stream.destroy();
  }
}

export interface HeaderField {
  readonly name: string;
  value: string;
}

/** Unfolded header fields, in order. */
export function parseHeaders(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) last.value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
    }
  }
  return fields;
}

/** The first field named `name` (case-insensitive), decoded; undefined when absent. */
export function headerValue(fields: readonly HeaderField[], name: string): string | undefined {
  const field = fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  return field === undefined ? undefined : decodeEncodedWords(field.value);
}

const WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** RFC 2047: "=?UTF-8?B?...?=" and "=?ISO-8859-1?Q?...?=" decoded; whitespace between words dropped. */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(
    /(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)/g,
    '$1',
  );
  return joined.replace(WORD, (word, charset: string, encoding: string, data: string) => {
    try {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              'latin1',
            );
      // RFC 2231 allows "charset*language".
      return new TextDecoder(charset.split('*')[0]!).decode(bytes);
    } catch {
      return word;
    }
  });
}

/** Control characters (but tab and line feed) shown as "?", so a header cannot drive the terminal. */
export function printable(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return value.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?');
}

/** `value` cut to `max` characters, with "..." when cut. */
export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, Math.max(0, max - 3))}...`;
}

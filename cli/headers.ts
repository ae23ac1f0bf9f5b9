/**
 * Message headers for display. Parsing is core's (core/mail/header-block.ts reads the section
 * with mailsplit, core/rules/headers.ts splits and decodes it with mailsplit and libmime); this
 * module only shapes the result for a terminal: fields as {name, value}, control characters
 * made harmless, long values clipped. Nothing here throws.
 */
import { decodeEncodedWords, firstHeader, headerLines, parseHeaderBlock } from '../core/rules/headers.ts';

export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** Unfolded header fields, in order (values as written: encoded words are left encoded). */
export function headerFields(block: Uint8Array): HeaderField[] {
  return parseHeaderBlock(block).map(([name, value]) => ({ name, value }));
}

/** The first field named `name` (case-insensitive) with encoded words decoded; undefined when absent. */
export function decodedHeader(block: Uint8Array, name: string): string | undefined {
  const value = firstHeader(parseHeaderBlock(block), name);
  return value === undefined ? undefined : decodeEncodedWords(value);
}

/** The header section as it was written (folding kept), LF line ends, for display. */
export function rawHeaderText(block: Uint8Array): string {
  return headerLines(block).join('\n').replace(/\r\n/g, '\n');
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

/**
 * Applies a plan's header edits to the copy being stored: 'add header' appends a field at the
 * end of the header section, 'tag subject' puts the tag in front of the Subject (or adds a
 * Subject when there is none; an already-tagged subject is left alone). The header section is
 * read with mailsplit's Splitter and edited as a mailsplit `Headers` object; the body is streamed
 * through byte for byte, never parsed or buffered. A message whose header section is over
 * 256 KiB or never ends (no empty line) passes through unedited. Only a failing source rejects.
 */
import { Headers } from '@zone-eu/mailsplit';
import { splitHeaderSection } from '../mail/header-block.ts';
import { decodeEncodedWords, parseHeaderBlock } from './headers.ts';
import { encodeHeaderText } from './mime.ts';
import type { HeaderEdit } from './plan.ts';

export const MAX_EDITABLE_HEADER_BYTES = 256 * 1024;

/**
 * The tag goes in front of the raw value, so the original bytes (encoded words, 8-bit text,
 * folding) stay exactly as they were. Lines are held one character per byte (mailsplit's
 * "binary" strings) and the tag is ASCII, so nothing is re-encoded.
 */
function tagSubject(headers: Headers, tag: string): void {
  const encodedTag = encodeHeaderText(tag);
  const lines = headers.getList();
  const subject = lines.find((l) => l.key === 'subject');
  if (!subject) {
    headers.add('Subject', encodedTag, lines.length);
    return;
  }
  const current = parseHeaderBlock(Buffer.from(subject.line, 'latin1'))[0]?.[1] ?? '';
  if (decodeEncodedWords(current).toLowerCase().includes(tag.toLowerCase())) return;
  const colon = subject.line.indexOf(':');
  const rest = subject.line.slice(colon + 1).replace(/^[ \t]*/, '');
  subject.line = `${subject.line.slice(0, colon + 1)} ${encodedTag} ${rest}`;
  headers.changed = true;
}

/** Apply `edits`, in order, to a parsed header block (mutated). */
export function editHeaders(headers: Headers, edits: readonly HeaderEdit[]): void {
  for (const edit of edits) {
    if (edit.kind === 'add header') {
      headers.add(edit.name, encodeHeaderText(edit.value), headers.getList().length);
    } else {
      tagSubject(headers, edit.tag);
    }
  }
}

/**
 * `section`: a header section (with or without the empty line that ends it). Returns the edited
 * section as bytes, CRLF line ends, ending in the empty line.
 */
export function applyHeaderEdits(section: string | Uint8Array, edits: readonly HeaderEdit[]): Buffer {
  const headers = new Headers(
    typeof section === 'string' ? Buffer.from(section, 'utf8') : Buffer.from(section),
  );
  editHeaders(headers, edits);
  return headers.build();
}

/** The message with `edits` applied to its header section; the body is streamed through as-is. */
export async function* editMessageHeaders(
  edits: readonly HeaderEdit[],
  message: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array> {
  const toBytes = (c: Uint8Array | string) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  if (edits.length === 0) {
    for await (const chunk of message) yield toBytes(chunk);
    return;
  }
  const split = await splitHeaderSection(message, MAX_EDITABLE_HEADER_BYTES);
  if (split.headers === undefined) {
    if (split.read.length > 0) yield split.read;
  } else {
    editHeaders(split.headers, edits);
    yield split.headers.build();
    yield split.read.subarray(split.sectionLength);
  }
  while (true) {
    const next = await split.rest.next();
    if (next.done) return;
    yield toBytes(next.value);
  }
}

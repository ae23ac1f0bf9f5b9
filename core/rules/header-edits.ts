/**
 * Applies a plan's header edits to the copy being stored: 'add header' appends a field at the
 * end of the header section, 'tag subject' puts the tag in front of the Subject (or adds a
 * Subject when there is none; an already-tagged subject is left alone). `editMessageHeaders`
 * does it on a body stream, buffering only the header section; a message whose header section is
 * over 256 KiB or never ends (no empty line) passes through unedited. Only a failing source rejects.
 */
import { decodeEncodedWords, parseHeaderBlock } from './headers.ts';
import { encodeHeaderText, headerLine } from './mime.ts';
import type { HeaderEdit } from './plan.ts';

export const MAX_EDITABLE_HEADER_BYTES = 256 * 1024;

function tagSubject(section: string, tag: string): string {
  const subject = /^subject:[ \t]*/im.exec(section);
  const encodedTag = encodeHeaderText(tag);
  if (!subject) return section + headerLine('Subject', encodedTag);
  const current = parseHeaderBlock(section).find(([n]) => n.toLowerCase() === 'subject')?.[1] ?? '';
  if (decodeEncodedWords(current).toLowerCase().includes(tag.toLowerCase())) return section;
  const at = subject.index + subject[0].length;
  return `${section.slice(0, at).trimEnd()} ${encodedTag} ${section.slice(at)}`;
}

/**
 * `section`: the header section as text, every field line ending in CRLF, without the empty line
 * that ends it. Returns the edited section in the same form. Edits insert ASCII only (non-ASCII
 * values become encoded words), so a latin1-decoded section round-trips its bytes exactly.
 */
export function applyHeaderEdits(section: string, edits: readonly HeaderEdit[]): string {
  let out = section;
  for (const edit of edits) {
    out =
      edit.kind === 'add header'
        ? out + headerLine(edit.name, encodeHeaderText(edit.value))
        : tagSubject(out, edit.tag);
  }
  return out;
}

/** Offset of the empty line that ends the header section (the CRLF before it included), or -1. */
function headerEnd(bytes: Buffer): number {
  if (bytes.subarray(0, 2).toString('latin1') === '\r\n') return 0;
  const at = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  return at < 0 ? -1 : at + 2;
}

/** The message with `edits` applied to its header section; the body is streamed through as-is. */
export async function* editMessageHeaders(
  edits: readonly HeaderEdit[],
  message: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array> {
  const iterator = message[Symbol.asyncIterator]();
  let buffered = Buffer.alloc(0);
  while (true) {
    const next = await iterator.next();
    if (!next.done) {
      const chunk =
        typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : Buffer.from(next.value);
      buffered = Buffer.concat([buffered, chunk]);
    }
    const end = headerEnd(buffered);
    if (end >= 0 && end <= MAX_EDITABLE_HEADER_BYTES && edits.length > 0) {
      // latin1 maps bytes to characters one to one, so raw 8-bit header bytes survive the edit.
      const section = applyHeaderEdits(buffered.subarray(0, end).toString('latin1'), edits);
      yield Buffer.from(section, 'latin1');
      yield buffered.subarray(end);
      break;
    }
    if (end >= 0 || next.done || buffered.length > MAX_EDITABLE_HEADER_BYTES) {
      yield buffered;
      if (next.done) return;
      break;
    }
  }
  while (true) {
    const next = await iterator.next();
    if (next.done) return;
    yield typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
  }
}

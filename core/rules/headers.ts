/**
 * A message's header block as the ordered list of [name, value] pairs rules compare against,
 * parsed by the libraries mailparser is built on: mailsplit's `Headers` splits the block into
 * fields (folded lines joined, an mbox "From " line dropped, parsing stops at the first empty
 * line), libmime unfolds each value and decodes RFC 2047 encoded words, nodemailer's
 * addressparser reads address lists (what mailparser's parseAddressHeader runs; importing that
 * would load all of mailparser, about a second of start-up, for one function). Raw 8-bit header bytes
 * are read as UTF-8 when valid and as Latin-1 otherwise, line by line. Tolerant of real-world
 * mail: lines without a field name are skipped; nothing here throws.
 */
import { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';

/** Header fields in message order; names as written, values unfolded and trimmed. */
export type HeaderList = readonly (readonly [name: string, value: string])[];

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A header line held as one character per byte, as UTF-8 when valid, else as Latin-1. */
function lineText(binary: string): string {
  try {
    return strictUtf8.decode(Buffer.from(binary, 'latin1'));
  } catch {
    return binary;
  }
}

/**
 * The field lines of a header section, in order, folding kept (CRLF before each continuation),
 * up to the empty line that ends it. `block` may be a whole message; the body is ignored.
 */
export function headerLines(block: string | Uint8Array): string[] {
  const bytes = typeof block === 'string' ? Buffer.from(block, 'utf8') : Buffer.from(block);
  const lines: string[] = [];
  for (const { key, line } of new Headers(bytes).getList()) {
    if (line === '') break; // the empty line that ends the header section
    // A field name is printable ASCII without spaces (RFC 5322 §2.2); anything else is garbage.
    if (key === '' || /\s/.test(key)) continue;
    lines.push(lineText(line));
  }
  return lines;
}

/** The header section as [name, value] fields: names as written, values unfolded (libmime). */
export function parseHeaderBlock(block: string | Uint8Array): HeaderList {
  return headerLines(block).map((line) => {
    const name = line.slice(0, line.indexOf(':')).trimEnd();
    return [name, libmime.decodeHeader(line).value.trim()] as const;
  });
}

/** Every value of the fields named `name` (case-insensitive), in order; [] when absent. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const wanted = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
}

/** The first value of `name`, or undefined. */
export function firstHeader(headers: HeaderList, name: string): string | undefined {
  return headerValues(headers, name)[0];
}

/** RFC 2047: `=?charset?B|Q?…?=` words decoded (libmime); white space between adjacent words dropped. */
export function decodeEncodedWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value; // libmime does not throw on bad input that we know of; the engine must not either
  }
}

/** One mailbox of an address list: the bare address (lower-cased) and its display form. */
export interface HeaderAddress {
  readonly address: string;
  /** The decoded display name, '' when there is none. */
  readonly name: string;
}

/**
 * The mailboxes of an address-list header value ("A <a@x>, b@y, group: c@z;"), in order.
 * Groups contribute their members; an empty group ("undisclosed-recipients:;") and elements
 * without an address contribute none. Domains stay as written (punycode is not decoded).
 */
export function parseAddressList(value: string): HeaderAddress[] {
  try {
    return addressparser(value, { flatten: true })
      .filter((a) => a.address)
      .map((a) => ({ address: a.address.toLowerCase(), name: decodeEncodedWords(a.name) }));
  } catch {
    return [];
  }
}

/** The mailboxes of every `name` field, in order. */
export function headerAddresses(headers: HeaderList, name: string): HeaderAddress[] {
  return headerValues(headers, name).flatMap(parseAddressList);
}

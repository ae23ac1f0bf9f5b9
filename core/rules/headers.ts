/**
 * A message's header block, already read into a string (bytes decoded as UTF-8), as the ordered
 * list of [name, value] pairs rules compare against: folded lines unfolded, parsing stops at the
 * first empty line, RFC 2047 encoded words decodable, addresses extractable from address lists.
 * Tolerant of real-world mail: malformed lines are skipped, an unknown charset leaves the encoded
 * word as it was. Nothing here throws.
 */

/** Header fields in message order; names as written, values unfolded and trimmed. */
export type HeaderList = readonly (readonly [name: string, value: string])[];

export function parseHeaderBlock(block: string): HeaderList {
  const fields: [string, string][] = [];
  const lines = block.split(/\r\n|\n|\r/);
  for (const [i, line] of lines.entries()) {
    if (line === '') break;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      // RFC 5322 unfolding: drop the line break, keep the white space.
      if (last) last[1] += line;
      continue;
    }
    if (i === 0 && line.startsWith('From ')) continue; // mbox separator
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon).trimEnd())) continue;
    fields.push([line.slice(0, colon).trimEnd(), line.slice(colon + 1)]);
  }
  return fields.map(([name, value]) => [name, value.trim()] as const);
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

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
const ADJACENT_WORDS = /(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)/g;

function wordBytes(encoding: string, data: string): Uint8Array {
  if (encoding.toUpperCase() === 'B') return Buffer.from(data, 'base64');
  const text = data.replace(/_/g, ' ');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '=' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/** RFC 2047: decode `=?charset?B|Q?…?=` words; white space between adjacent words is dropped. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(ADJACENT_WORDS, '$1')
    .replace(ENCODED_WORD, (word, charset: string, encoding: string, data: string) => {
      try {
        // RFC 2231 allows "charset*language".
        return new TextDecoder(charset.split('*')[0]).decode(wordBytes(encoding, data));
      } catch {
        return word;
      }
    });
}

/** One mailbox of an address list: the bare address (lower-cased) and its display form. */
export interface HeaderAddress {
  readonly address: string;
  /** The decoded display name, '' when there is none. */
  readonly name: string;
}

/** Split at `sep` outside quotes, angle brackets and comments. */
function splitOutside(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let angle = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '\\') {
      current += ch + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"' && depth === 0) quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')' && depth > 0) depth--;
    else if (!quoted && depth === 0 && ch === '<') angle = true;
    else if (!quoted && depth === 0 && ch === '>') angle = false;
    if (ch === sep && !quoted && depth === 0 && !angle) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

const stripComments = (s: string) => s.replace(/\((?:[^()\\]|\\.)*\)/g, ' ');

function parseMailbox(element: string): HeaderAddress | undefined {
  const text = element.trim();
  if (text === '') return undefined;
  const angle = /<([^<>]*)>\s*(?:\(.*\))?$/.exec(text);
  if (angle) {
    const address = (angle[1] ?? '').trim().replace(/^@[^:]*:/, ''); // drop an obsolete source route
    const name = stripComments(text.slice(0, angle.index))
      .trim()
      .replace(/^"(.*)"$/s, '$1')
      .replace(/\\(.)/g, '$1');
    return address ? { address: address.toLowerCase(), name: decodeEncodedWords(name) } : undefined;
  }
  const comment = /\(([^()]*)\)/.exec(text)?.[1]?.trim() ?? '';
  const bare = stripComments(text).trim();
  return bare ? { address: bare.toLowerCase(), name: decodeEncodedWords(comment) } : undefined;
}

/**
 * The mailboxes of an address-list header value ("A <a@x>, b@y, group: c@z;"), in order.
 * Groups contribute their members; an empty group ("undisclosed-recipients:;") contributes none.
 */
export function parseAddressList(value: string): HeaderAddress[] {
  const out: HeaderAddress[] = [];
  for (const raw of splitOutside(value, ',')) {
    let element = raw;
    const group = splitOutside(element, ':');
    if (group.length > 1 && !/[<@]/.test(group[0] ?? '')) element = group.slice(1).join(':');
    element = element.replace(/;\s*$/, '');
    const mailbox = parseMailbox(element);
    if (mailbox) out.push(mailbox);
  }
  return out;
}

/** The mailboxes of every `name` field, in order. */
export function headerAddresses(headers: HeaderList, name: string): HeaderAddress[] {
  return headerValues(headers, name).flatMap(parseAddressList);
}

/**
 * Small MIME/RFC 5322 writers for rule-generated mail: RFC 2047 encoded words for non-ASCII
 * header text and header folding (both libmime), quoted-printable UTF-8 bodies, dates in the account's offset and
 * deterministic Message-IDs and boundaries (a hash of a seed, so the same delivery regenerates the
 * same message). Values are stripped of CR/LF first, so no input can inject a header. No throws.
 */
import { createHash } from 'node:crypto';
import libmime from 'libmime';
import { formatUtcOffset } from './values.ts';

/** Collapse line breaks so a value can never start a new header line. */
export function oneLine(value: string): string {
  return value.replace(/[\r\n]+[ \t]*/g, ' ');
}

const isPrintableAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/**
 * Header text: as-is when printable ASCII, else RFC 2047 `=?UTF-8?B?…?=` words of at most 75
 * characters (libmime splits on character boundaries), separated by spaces for folding.
 */
export function encodeHeaderText(value: string): string {
  const text = oneLine(value);
  return isPrintableAscii(text) ? text : libmime.encodeWord(text, 'B', 75);
}

/** A display name as a quoted string (or encoded words when not ASCII). */
export function formatMailbox(address: string, name?: string): string {
  const bare = `<${oneLine(address)}>`;
  if (!name) return bare;
  const text = oneLine(name);
  if (!isPrintableAscii(text)) return `${encodeHeaderText(text)} ${bare}`;
  return `"${text.replace(/(["\\])/g, '\\$1')}" ${bare}`;
}

/** `Name: value\r\n`, folded (libmime) at spaces so no line exceeds 76 characters where that is possible. */
export function headerLine(name: string, value: string): string {
  return `${libmime.foldLines(`${name}: ${oneLine(value)}`, 76)}\r\n`;
}

/** A UTF-8 text body: CRLF line ends, and the Content-Transfer-Encoding it needs. */
export function encodeTextBody(text: string): { encoding: '7bit' | 'quoted-printable'; body: string } {
  const lines = text.replace(/\r\n|\r|\n/g, '\n').split('\n');
  if (lines.every((l) => isPrintableAscii(l) && l.length <= 998 && l !== '.'))
    return { encoding: '7bit', body: `${lines.join('\r\n')}\r\n` };
  return { encoding: 'quoted-printable', body: `${lines.map(quotedPrintableLine).join('\r\n')}\r\n` };
}

/** One line of quoted-printable (RFC 2045 §6.7), soft-broken at 76 characters. */
function quotedPrintableLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const tokens: string[] = [];
  bytes.forEach((b, i) => {
    const last = i === bytes.length - 1;
    const plain = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
    tokens.push(plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
  });
  if (tokens.join('') === '.') return '=2E';
  const out: string[] = [];
  let current = '';
  for (const token of tokens) {
    if (current.length + token.length > 75) {
      out.push(`${current}=`);
      current = '';
    }
    current += token;
  }
  out.push(current);
  return out.join('\r\n');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "Mon, 3 Mar 2025 10:15:00 +0100": the instant shown in the account's offset. */
export function formatMessageDate(now: Date, utcOffsetMinutes = 0): string {
  const d = new Date(now.getTime() + utcOffsetMinutes * 60_000);
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${formatUtcOffset(utcOffsetMinutes)}`
  );
}

/** A short hex digest of `seed`, for Message-IDs and MIME boundaries. */
export function seedHash(seed: string, length = 24): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** `<hash.rule@domain>` derived from the seed, so a retried delivery produces the same id. */
export function derivedMessageId(seed: string, domain: string): string {
  return `<${seedHash(seed)}.rule@${oneLine(domain).replace(/[<>\s]/g, '') || 'localhost'}>`;
}

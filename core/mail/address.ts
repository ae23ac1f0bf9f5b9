/**
 * Mail address parsing and normalisation (RFC 5321 mailbox, with SMTPUTF8 local parts).
 * `parseAddress` never throws: it returns a reason a caller can put into a 501/553 reply.
 * Normal form: lower-case local part, and the domain lower-case in its A-label (ASCII, `xn--…`)
 * form: an IDN domain given in U-label form (`bücher.example`) is converted, so directory keys
 * are one form whichever the client used (`unicodeDomain` gives the other form for lookups of
 * records stored before). Length limits are RFC 5321 §4.5.3.1: local part 64 octets, domain 255
 * octets, path 256 octets (the address plus its angle brackets: 254 for local@domain), counted
 * in UTF-8 octets on the normal form.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export interface MailAddress {
  readonly local: string;
  readonly domain: string;
  /** local@domain, normalised. */
  readonly address: string;
}

export type ParsedAddress = { ok: true; value: MailAddress } | { ok: false; reason: string };

/** RFC 5321 §4.5.3.1.1-3. */
export const MAX_LOCAL_PART_OCTETS = 64;
export const MAX_DOMAIN_OCTETS = 255;
/** The path is `<local@domain>`: the address itself may have two octets fewer. */
export const MAX_PATH_OCTETS = 256;

const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const DOT_ATOM = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const ADDRESS_LITERAL = /^\[(IPv6:[0-9a-f:.]+|\d{1,3}(\.\d{1,3}){3})\]$/i;

const octets = (text: string) => Buffer.byteLength(text, 'utf8');

export function parseDomain(input: string): { ok: true; value: string } | { ok: false; reason: string } {
  const given = input.trim().toLowerCase().replace(/\.$/, '');
  if (given.length === 0) return { ok: false, reason: 'empty domain' };
  if (ADDRESS_LITERAL.test(given)) return { ok: true, value: given };
  // IDNA (UTS #46) to the A-label form; '' when the name cannot be an IDN.
  const domain = isNonAscii(given) ? domainToASCII(given) : given;
  if (domain.length === 0) return { ok: false, reason: 'bad internationalised domain name' };
  if (octets(domain) > MAX_DOMAIN_OCTETS)
    return { ok: false, reason: `domain longer than ${MAX_DOMAIN_OCTETS} octets` };
  const labels = domain.split('.');
  if (labels.length < 2 && domain !== 'localhost')
    return { ok: false, reason: 'domain needs at least one dot' };
  if (!labels.every((l) => ASCII_LABEL.test(l))) return { ok: false, reason: 'bad domain syntax' };
  // An A-label must decode (xn--zz is not one).
  if (labels.some((l) => l.startsWith('xn--')) && domainToUnicode(domain) === '')
    return { ok: false, reason: 'bad internationalised domain name' };
  return { ok: true, value: domain };
}

/** The U-label form of a normalised domain (itself when it has no A-label). */
export function unicodeDomain(domain: string): string {
  if (!domain.split('.').some((l) => l.startsWith('xn--'))) return domain;
  return domainToUnicode(domain) || domain;
}

/** Any octet outside ASCII (an address that needs SMTPUTF8, RFC 6531). */
export function isNonAscii(text: string): boolean {
  return /[^\p{ASCII}]/u.test(text);
}

export function parseAddress(input: string): ParsedAddress {
  let text = input.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
  if (text.length === 0) return { ok: false, reason: 'empty address' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, reason: 'address must be local@domain' };
  const local = text.slice(0, at);
  if (octets(local) > MAX_LOCAL_PART_OCTETS)
    return { ok: false, reason: `local part longer than ${MAX_LOCAL_PART_OCTETS} octets` };
  const quoted = /^"([^"\\\r\n]|\\[ -~])*"$/.test(local);
  if (!quoted && !DOT_ATOM.test(local)) return { ok: false, reason: 'bad local part syntax' };
  const domain = parseDomain(text.slice(at + 1));
  if (!domain.ok) return domain;
  const normalLocal = local.toLowerCase();
  const address = `${normalLocal}@${domain.value}`;
  if (octets(address) + 2 > MAX_PATH_OCTETS)
    return { ok: false, reason: `path longer than ${MAX_PATH_OCTETS} octets` };
  return { ok: true, value: { local: normalLocal, domain: domain.value, address } };
}

/** Normalised address or throws `Error` with the reason; for trusted/admin input paths. */
export function normalizeAddress(input: string): string {
  const parsed = parseAddress(input);
  if (!parsed.ok) throw new Error(`invalid address "${input}": ${parsed.reason}`);
  return parsed.value.address;
}

/** The domain part of an already-normalised address. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

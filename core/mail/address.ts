/**
 * Mail address parsing and normalisation (RFC 5321 mailbox, with SMTPUTF8 local parts).
 * `parseAddress` never throws: it returns a reason a caller can put into a 501/553 reply.
 * Normal form: lower-case domain and local part, so directory keys are case-insensitive.
 */

export interface MailAddress {
  readonly local: string;
  readonly domain: string;
  /** local@domain, normalised. */
  readonly address: string;
}

export type ParsedAddress = { ok: true; value: MailAddress } | { ok: false; reason: string };

const DOMAIN_LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;
const DOT_ATOM = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const ADDRESS_LITERAL = /^\[(IPv6:[0-9a-f:.]+|\d{1,3}(\.\d{1,3}){3})\]$/i;

export function parseDomain(input: string): { ok: true; value: string } | { ok: false; reason: string } {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  if (domain.length === 0) return { ok: false, reason: 'empty domain' };
  if (domain.length > 253) return { ok: false, reason: 'domain longer than 253 characters' };
  if (ADDRESS_LITERAL.test(domain)) return { ok: true, value: domain };
  const labels = domain.split('.');
  if (labels.length < 2 && domain !== 'localhost')
    return { ok: false, reason: 'domain needs at least one dot' };
  if (!labels.every((l) => DOMAIN_LABEL.test(l))) return { ok: false, reason: 'bad domain syntax' };
  return { ok: true, value: domain };
}

export function parseAddress(input: string): ParsedAddress {
  let text = input.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
  if (text.length === 0) return { ok: false, reason: 'empty address' };
  if (text.length > 254) return { ok: false, reason: 'address longer than 254 characters' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, reason: 'address must be local@domain' };
  const local = text.slice(0, at);
  if (local.length > 64) return { ok: false, reason: 'local part longer than 64 characters' };
  const quoted = /^"([^"\\\r\n]|\\[ -~])*"$/.test(local);
  if (!quoted && !DOT_ATOM.test(local)) return { ok: false, reason: 'bad local part syntax' };
  const domain = parseDomain(text.slice(at + 1));
  if (!domain.ok) return domain;
  const normalLocal = local.toLowerCase();
  return {
    ok: true,
    value: { local: normalLocal, domain: domain.value, address: `${normalLocal}@${domain.value}` },
  };
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

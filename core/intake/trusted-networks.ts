/**
 * Relay control's list of trusted client networks: CIDR blocks (IPv4 and IPv6, a bare address
 * is a /32 or /128) and matching of a client address against them. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, what a dual-stack listener reports for IPv4 clients) match IPv4 blocks.
 * `parseTrustedNetworks` reports every bad entry instead of throwing; matching never throws.
 */

interface Network {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
  readonly text: string;
}

export interface TrustedNetworks {
  /** True when `ip` lies inside one of the networks. An unparseable address is never trusted. */
  contains(ip: string): boolean;
  readonly entries: readonly string[];
}

export type ParsedNetworks = { ok: true; value: TrustedNetworks } | { ok: false; problems: string[] };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(input: string): bigint | undefined {
  let text = input.replace(/%.*$/, ''); // drop a zone id (fe80::1%eth0)
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:192.0.2.1) supplies the last two groups.
  const v4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const value = parseIpv4(v4[2]!);
    if (value === undefined) return undefined;
    tail = [Number(value >> 16n), Number(value & 0xffffn)];
    text = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - given).fill('0'), ...rest];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  }
  for (const t of tail) value = (value << 16n) | BigInt(t);
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parse an address to its family and value; IPv4-mapped IPv6 becomes plain IPv4. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const trimmed = text.trim().replace(/^\[|\]$/g, '');
  const v4 = parseIpv4(trimmed);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!trimmed.includes(':')) return undefined;
  const v6 = parseIpv6(trimmed);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function parseNetwork(entry: string): Network | string {
  const [addr, prefixText, extra] = entry.split('/');
  if (extra !== undefined || !addr) return `"${entry}" is not an address or CIDR block`;
  const ip = parseIp(addr);
  if (!ip) return `"${entry}" is not an IPv4 or IPv6 address`;
  const width = ip.family === 4 ? 32 : 128;
  let prefix = width;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return `"${entry}" has a bad prefix length`;
    prefix = Number(prefixText);
    // ::ffff:10.0.0.0/104 is written against 128 bits but matches as IPv4 /8.
    if (ip.family === 4 && addr.includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > width) return `"${entry}" has a prefix length outside 0..${width}`;
  }
  const shift = BigInt(width - prefix);
  return { family: ip.family, bits: ip.value >> shift, prefix, text: entry };
}

export function parseTrustedNetworks(entries: readonly string[]): ParsedNetworks {
  const networks: Network[] = [];
  const problems: string[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const parsed = parseNetwork(entry);
    if (typeof parsed === 'string') problems.push(parsed);
    else networks.push(parsed);
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      entries: networks.map((n) => n.text),
      contains(ip: string): boolean {
        const addr = parseIp(ip);
        if (!addr) return false;
        const width = addr.family === 4 ? 32 : 128;
        return networks.some(
          (n) => n.family === addr.family && addr.value >> BigInt(width - n.prefix) === n.bits,
        );
      },
    },
  };
}

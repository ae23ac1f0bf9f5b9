/**
 * From rewriting for the SES relay (used by nothing else). SES sends only mail whose header From
 * names a verified identity, so a forwarded or redirected message keeping a stranger's From
 * (alice@example.org redirected by bob@ours.test to the Internet) would be refused. Our choice,
 * the one mailing lists make (DMARC-safe, replies still reach the author):
 *
 *   From:            "<original name or address> via <sender>" <sender>
 *   Reply-To:        the original From value (unless the message already has a Reply-To)
 *   X-Original-From: the original From value
 *
 * where <sender> is the forwarding account (decoded from the SRS envelope sender a redirect
 * carries), else the envelope sender when its domain is one of ours, else the cluster's bounce
 * address. Messages whose From names one of our sending domains (or has no readable From) pass
 * byte for byte. Streaming: only the header section (at most HEADER_BLOCK_LIMIT) is held; the body
 * is passed on as it is read. Failure: a header section that cannot be found (too long, never
 * ends) passes unchanged (SES then decides); a failing source or domain lookup rejects, which the
 * relay answers as a temporary failure.
 */
import { Readable } from 'node:stream';
import { splitHeaderSection } from '../mail/header-block.ts';
import { srsAccount } from '../mail/srs.ts';
import { headerAddresses, headerValues, parseHeaderBlock } from '../rules/headers.ts';

export interface ForeignFromOptions {
  /** True for a domain we send as (a hosted domain with an SES identity). */
  readonly isSendingDomain: (domain: string) => Promise<boolean>;
  /** Last resort for the new From (the cluster's bounce address). */
  readonly fallbackSender: string;
}

export interface ForeignFromResult {
  readonly stream: Readable;
  /** Set when From was rewritten: the original value and the new address. */
  readonly rewritten?: { readonly originalFrom: string; readonly sender: string };
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The header section of `source`, rewritten when its From is not ours; the body streams after it. */
export async function rewriteForeignFrom(
  source: Readable,
  mailFrom: string,
  opts: ForeignFromOptions,
): Promise<ForeignFromResult> {
  const split = await splitHeaderSection(source);
  const section = split.read.subarray(0, split.sectionLength);
  const after = split.read.subarray(split.sectionLength);
  const unchanged = (): ForeignFromResult => ({ stream: restream(split.read, split.rest, source) });
  if (!split.headers) return unchanged();
  const headers = parseHeaderBlock(section);
  const authors = headerAddresses(headers, 'From');
  if (authors.length === 0) return unchanged();
  const foreign = await Promise.all(
    authors.map(async (a) => !(await opts.isSendingDomain(domainOf(a.address)))),
  );
  if (!foreign.some(Boolean)) return unchanged();
  const sender = await senderFor(mailFrom, opts);
  const originalFrom = (headerValues(headers, 'From')[0] ?? '').trim();
  const first = authors[0]!;
  const fields = [
    `From: ${displayName(`${first.name || first.address} via ${sender}`)} <${sender}>`,
    ...(headerValues(headers, 'Reply-To').length === 0 ? [`Reply-To: ${originalFrom}`] : []),
    `X-Original-From: ${originalFrom}`,
  ];
  const head = Buffer.concat([
    Buffer.from(`${fields.join('\r\n')}\r\n`, 'utf8'),
    withoutField(section, 'from'),
  ]);
  return {
    stream: restream(Buffer.concat([head, after]), split.rest, source),
    rewritten: { originalFrom, sender },
  };
}

/** The forwarding account, else the envelope sender if ours, else the fallback. */
async function senderFor(mailFrom: string, opts: ForeignFromOptions): Promise<string> {
  const account = mailFrom ? srsAccount(mailFrom) : undefined;
  if (account) return account;
  if (mailFrom && (await opts.isSendingDomain(domainOf(mailFrom)))) return mailFrom;
  return opts.fallbackSender;
}

/** A quoted display name; RFC 2047 base64 when it is not printable ASCII. */
function displayName(name: string): string {
  const oneLine = name.replace(/[\r\n]+/g, ' ').slice(0, 200);
  if (/^[\x20-\x7e]*$/.test(oneLine)) return `"${oneLine.replace(/(["\\])/g, '\\$1')}"`;
  return `=?UTF-8?B?${Buffer.from(oneLine, 'utf8').toString('base64')}?=`;
}

/** The raw header section without the fields called `name` (continuation lines included). */
function withoutField(section: Buffer, name: string): Buffer {
  const lines = section.toString('latin1').split(/(?<=\n)/);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    const continuation = line.startsWith(' ') || line.startsWith('\t');
    if (!continuation) dropping = line.slice(0, line.indexOf(':')).trim().toLowerCase() === name;
    if (!dropping) kept.push(line);
  }
  return Buffer.from(kept.join(''), 'latin1');
}

/** `first`, then the rest of the source; destroying the result destroys the source. */
function restream(first: Buffer, rest: AsyncIterator<Uint8Array | string>, source: Readable): Readable {
  async function* all() {
    if (first.length > 0) yield first;
    for (let next = await rest.next(); !next.done; next = await rest.next()) {
      yield typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
    }
  }
  const out = Readable.from(all(), { objectMode: false });
  out.once('close', () => source.destroy());
  return out;
}

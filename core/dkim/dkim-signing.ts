/**
 * DKIM signing of relayed mail, in one place for every relay (MX, smarthost, SES): wraps the
 * relay request's `openBody` so each stream it opens starts with one DKIM-Signature. Signed is
 * mail we originate — submitted by an authenticated account (source SUBMIT), written by rules
 * (RULE: forwards and auto-replies, not redirected or mirrored originals) or a DSN (DSN) — whose
 * header From names one domain that has an active key in the directory,
 * and that does not already carry our signature (same d= and s=): a message is signed once.
 * Mail from the outside (SMTP), and any message whose From domain has no key, goes unchanged.
 * Memory stays bounded: one pass reads the header section, one streams the whole message through
 * mailauth's signer (body hash computed as it streams), and each opened stream is the signature
 * followed by a fresh read of the stored message. Failure: a fault reading the body rejects (the
 * delivery is retried); a failure while signing (a key mailauth cannot use, a stream that breaks
 * midway) is logged (`dkim.sign_failed`) and the mail goes unsigned (a broken stream then fails
 * the relay's own read, and the delivery is retried).
 */
import { pipeline, Readable } from 'node:stream';
import { dkimSign } from 'mailauth';
import { readHeaderBlock } from '../mail/header-block.ts';
import { LongLineFolder } from '../mail/line-folding.ts';
import type { MessageSource } from '../mail/message-source.ts';
import type { DirectoryReader, DkimKeyRecord } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import { type HeaderList, headerAddresses, headerValues, parseHeaderBlock } from '../rules/headers.ts';
import { LOOP_HEADER } from '../rules/loops.ts';
import { activeDkimKey } from './dkim-keys.ts';

export type OpenBody = () => Promise<Readable>;

export interface DkimSigningDeps {
  readonly directory: Pick<DirectoryReader, 'dkimKeys'>;
  readonly logger?: Logger;
}

/** Sources of mail we originate; mail that came in from outside is never signed. */
const SIGNED_SOURCES: ReadonlySet<MessageSource> = new Set(['SUBMIT', 'RULE', 'DSN']);

/** The one domain the From field names, or undefined (none, unreadable, or several domains). */
export function fromDomain(headers: HeaderList): string | undefined {
  const domains = new Set(
    headerAddresses(headers, 'From').map((a) => a.address.slice(a.address.lastIndexOf('@') + 1)),
  );
  if (domains.size !== 1) return undefined;
  const [domain] = domains;
  return domain && domain.length > 0 ? domain : undefined;
}

/** True when a DKIM-Signature with this key's d= and s= is already there. */
export function alreadySigned(headers: HeaderList, key: DkimKeyRecord): boolean {
  return headerValues(headers, 'DKIM-Signature').some((value) => {
    const tags = new Map<string, string>();
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
    }
    return tags.get('d')?.toLowerCase() === key.domain && tags.get('s')?.toLowerCase() === key.selector;
  });
}

/**
 * True when the rules wrote this message themselves (forward, auto-reply): no Received field
 * below the rule's X-Strato-Loop mark. A redirect or mirror puts the mark (and Resent-*) above
 * the original message's own header, which intake gave a Received field: it keeps the original
 * author's From — perhaps a forged one — and is not ours to sign. (In forward-to-frontends mode
 * the frontend's Received sits above everything, which this does not count.)
 */
export function writtenByRule(headers: HeaderList): boolean {
  const mark = headers.findIndex(([name]) => name.toLowerCase() === LOOP_HEADER.toLowerCase());
  return mark >= 0 && !headers.slice(mark).some(([name]) => name.toLowerCase() === 'received');
}

/** The key to sign this message with, or undefined when it is not ours to sign. */
async function signingKey(
  deps: DkimSigningDeps,
  source: MessageSource,
  openBody: OpenBody,
): Promise<DkimKeyRecord | undefined> {
  if (!SIGNED_SOURCES.has(source)) return undefined;
  const headers = parseHeaderBlock(await readHeaderBlock(await openBody()));
  if (source === 'RULE' && !writtenByRule(headers)) return undefined;
  const domain = fromDomain(headers);
  if (domain === undefined) return undefined;
  const key = activeDkimKey(await deps.directory.dkimKeys(domain));
  return key && !alreadySigned(headers, key) ? key : undefined;
}

/** The DKIM-Signature field (with its CRLF) for the message, or undefined when mailauth refused. */
async function signatureFor(
  deps: DkimSigningDeps,
  key: DkimKeyRecord,
  openBody: OpenBody,
  queueId: string,
): Promise<Buffer | undefined> {
  const options = {
    canonicalization: 'relaxed/relaxed',
    signatureData: [
      {
        signingDomain: key.domain,
        selector: key.selector,
        privateKey: key.privateKeyPem,
        algorithm: key.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
      },
    ],
  };
  const body = await openBody();
  let result: { signatures: string; errors: Error[] };
  try {
    // mailauth's typings want top-level key fields; its signer reads `signatureData`.
    result = await dkimSign(body, options as unknown as Parameters<typeof dkimSign>[1]);
  } catch (err) {
    result = { signatures: '', errors: [err instanceof Error ? err : new Error(String(err))] };
  } finally {
    body.destroy();
  }
  if (result.errors.length > 0 || !result.signatures.trim()) {
    const reason = result.errors.map((e) => e.message).join('; ') || 'no signature';
    deps.logger?.warn({
      event: 'dkim.sign_failed',
      queueId,
      domain: key.domain,
      selector: key.selector,
      reason,
    });
    return undefined;
  }
  return Buffer.from(result.signatures);
}

/** The signature, then the message as stored; closing the result closes the stored stream. */
function prepended(head: Buffer, open: OpenBody): Promise<Readable> {
  return open().then((body) => {
    async function* chunks() {
      try {
        yield head;
        for await (const chunk of body) yield chunk as Buffer;
      } finally {
        body.destroy();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  });
}

/**
 * `openBody` for a relay request: DKIM-signed when the message is ours to sign (see the module
 * comment), else `openBody` itself. The signature is made once here; every stream opened after
 * carries the same one.
 */
export async function dkimSignedOpener(
  deps: DkimSigningDeps,
  job: { readonly id: string; readonly source: MessageSource },
  openBody: OpenBody,
): Promise<OpenBody> {
  const key = await signingKey(deps, job.source, openBody);
  if (!key) return openBody;
  // Lines over 998 octets are folded here, before the body hash, as the MX relay would fold them
  // on the wire (folding is idempotent: the relay's pass then changes nothing, and the signature
  // holds whichever relay sends it).
  const folded: OpenBody = async () => pipeline(await openBody(), new LongLineFolder(), () => {});
  const signature = await signatureFor(deps, key, folded, job.id);
  if (!signature) return openBody;
  deps.logger?.debug({ event: 'dkim.signed', queueId: job.id, domain: key.domain, selector: key.selector });
  return () => prepended(signature, folded);
}

/**
 * Inbound authentication of one message on the MX port: SPF (RFC 7208: client IP, HELO, MAIL
 * FROM), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) with mailauth, every lookup through
 * our DnsResolver port (never the system's resolver: mailauth only falls back to node:dns when
 * no resolver is given, and we always give one). Answers the verdicts, our Authentication-Results
 * header (RFC 8601, our authserv-id) and, when the policy says so, the refusal:
 *  - DMARC `fail` under the sender domain's `p=reject` (pct= sampled): 550 5.7.1 when
 *    STRATO_DMARC_REJECT=reject (default), else marked only. `p=quarantine` is marked only (rules
 *    can file `DMARC is fail` into Junk); `p=none` is marked.
 *  - SPF `fail`: marked (default) or 550 5.7.1 when STRATO_SPF_FAIL=reject.
 *  - temperror (DNS trouble) anywhere: never refused, only marked.
 * mailauth reads the message as a stream: the DKIM body hashes are computed as the bytes pass
 * and only the header section is held, so memory stays bounded for large messages. A fault in
 * mailauth itself is not the sender's fault: it is logged and the message is marked temperror.
 */
import type { Readable } from 'node:stream';
import { authenticate } from 'mailauth';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { DnsRecordType, DnsResolver } from '../ports/dns.ts';
import type { Logger } from '../ports/logger.ts';

/** What a policy does with a failure: refuse the message, or accept and mark it. */
export type AuthPolicyAction = 'reject' | 'mark';

export interface InboundAuthPolicy {
  /** A DMARC failure under p=reject: refuse (550 5.7.1) or mark. */
  readonly dmarcReject: AuthPolicyAction;
  /** An SPF fail: mark or refuse (550 5.7.1). */
  readonly spfFail: AuthPolicyAction;
}

export interface InboundAuthDeps {
  readonly resolver: DnsResolver;
  /** Our authserv-id (the cluster's host name unless configured). */
  readonly authservId: string;
  readonly policy: InboundAuthPolicy;
  /** For DMARC pct= sampling (tests pin it); default Math.random. */
  readonly random?: () => number;
}

export interface InboundAuthInput {
  readonly ip: string;
  readonly helo: string;
  /** MAIL FROM; '' is the null sender (SPF then checks postmaster@<HELO>). */
  readonly mailFrom: string;
  /** The message as stored (our Received header first). */
  readonly message: Readable;
}

export interface InboundAuthVerdict {
  readonly spf: string;
  /** One result per DKIM signature; ['none'] when unsigned. */
  readonly dkim: readonly string[];
  readonly dmarc: string;
  readonly arc: string;
  /** The DMARC policy that applied (reject, quarantine, none), when the domain has a record. */
  readonly dmarcPolicy?: string;
  /** The RFC 5322.From domain DMARC looked at. */
  readonly fromDomain?: string;
  /** The complete Authentication-Results field, CRLF included. */
  readonly header: string;
  /** Set when the policy refuses the message. */
  readonly reject?: Reply;
}

/** mailauth's resolver: our port, with node:dns's shapes and error codes. */
function mailauthResolver(resolver: DnsResolver) {
  return (name: string, rrtype: string) =>
    resolver.resolve(name, rrtype as DnsRecordType) as Promise<string[]>;
}

/** Strip CR/LF and control characters from a value written into our header. */
const clean = (text: string) => text.replace(/[\r\n]+[ \t]*/g, ' ').replace(/\p{Cc}/gu, '');

function formatHeader(authservId: string, parts: readonly string[]): string {
  return `Authentication-Results: ${authservId};\r\n ${parts.join(';\r\n ')}\r\n`;
}

/** When mailauth itself failed: every method temperror, the message accepted. */
function temperrorVerdict(deps: InboundAuthDeps): InboundAuthVerdict {
  const parts = ['spf=temperror', 'dkim=temperror', 'dmarc=temperror'];
  return {
    spf: 'temperror',
    dkim: ['temperror'],
    dmarc: 'temperror',
    arc: 'none',
    header: formatHeader(deps.authservId, parts),
  };
}

type Authenticated = Awaited<ReturnType<typeof authenticate>>;

/** The refusal the policy asks for, if any. */
function policyReject(deps: InboundAuthDeps, input: InboundAuthInput, r: Authenticated): Reply | undefined {
  const { dmarc, spf } = r;
  if (
    dmarc &&
    dmarc.status.result === 'fail' &&
    dmarc.policy === 'reject' &&
    deps.policy.dmarcReject === 'reject'
  ) {
    const pct = dmarc.pct === undefined ? 100 : Number(dmarc.pct);
    // pct= is the share of failing mail the policy applies to; the rest is treated one step softer.
    if (!(pct < 100) || (deps.random ?? Math.random)() * 100 < pct) return replies.dmarcReject(dmarc.domain);
  }
  if (spf && spf.status.result === 'fail' && deps.policy.spfFail === 'reject') {
    return replies.spfFailReject(spf.domain, input.ip);
  }
  return undefined;
}

/** Verify one message; never throws (a mailauth fault answers temperror, logged). */
export async function verifyInbound(
  deps: InboundAuthDeps,
  input: InboundAuthInput,
  log: Logger,
): Promise<InboundAuthVerdict> {
  let r: Authenticated;
  try {
    r = await authenticate(input.message, {
      ip: input.ip,
      helo: input.helo,
      ...(input.mailFrom ? { sender: input.mailFrom } : {}),
      mta: deps.authservId,
      resolver: mailauthResolver(deps.resolver),
      disableBimi: true,
    });
  } catch (err) {
    input.message.destroy();
    log.warn({ event: 'intake.auth_failed', err }, 'authentication checks failed; marked temperror');
    return temperrorVerdict(deps);
  }
  // mailauth answers `false` for a check it did not run; undefined reads better below.
  const spf = r.spf || undefined;
  const arc = r.arc || undefined;
  const dmarc = r.dmarc || undefined;
  const dkimRows = r.dkim.results ?? [];
  const dkim = dkimRows.length > 0 ? dkimRows.map((d) => d.status.result) : ['none'];
  const parts = [
    ...(dkimRows.length > 0 ? dkimRows.map((d) => clean(d.info)) : ['dkim=none']),
    clean(spf?.info ?? 'spf=none'),
    ...(arc?.info ? [clean(arc.info)] : []),
    clean(dmarc?.info ?? 'dmarc=none'),
  ];
  const reject = policyReject(deps, input, r);
  return {
    spf: spf?.status.result ?? 'none',
    dkim,
    dmarc: dmarc?.status.result ?? 'none',
    arc: arc?.status.result ?? 'none',
    ...(dmarc?.policy ? { dmarcPolicy: dmarc.policy } : {}),
    ...(dmarc ? { fromDomain: dmarc.domain } : {}),
    header: formatHeader(deps.authservId, parts),
    ...(reject ? { reject } : {}),
  };
}

/**
 * OutboundRelay by direct MX delivery (STRATO_RELAY=mx): recipients are grouped by destination
 * domain and each group is delivered on its own, in parallel. Per domain: a destination backing
 * off after a recent failure answers temporary at once, without connecting; the MX plan
 * (core/outbound/mx-plan.ts) decides the hosts (null MX: permanent 556 5.1.10; nothing found:
 * temporary); an MTA-STS policy in enforce mode drops hosts it does not list and refuses a host
 * whose certificate does not verify (temporary, core/outbound/mta-sts.ts). Then, holding one of
 * the domain's session slots (core/outbound/destinations.ts), an idle session to the domain is
 * reused or the hosts are tried in order (next one on connection failure, timeout or a refused
 * greeting) and the transaction runs (mx-transaction.ts). A healthy session goes back to the
 * idle pool for the next message. Never throws for remote trouble: outcomes per recipient.
 */
import { permanent, type RecipientOutcome, type Reply, temporary } from '../../core/mail/outcome.ts';
import { formatReply, replies } from '../../core/mail/smtp-replies.ts';
import { type DestinationSettings, Destinations } from '../../core/outbound/destinations.ts';
import { type MtaStsPolicies, mxAllowed, type StsPolicy } from '../../core/outbound/mta-sts.ts';
import { type MxHost, planMx } from '../../core/outbound/mx-plan.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { DnsResolver } from '../../core/ports/dns.ts';
import { type Logger, silentLogger } from '../../core/ports/logger.ts';
import type { OutboundRelay, RelayRequest } from '../../core/ports/outbound-relay.ts';
import { MxSession, SessionError, type SessionTimeouts } from './mx-session.ts';
import { deliverOnSession, type Outcomes } from './mx-transaction.ts';

export interface MxRelayOptions {
  readonly dns: DnsResolver;
  readonly clock: Clock;
  readonly heloName: string;
  /** The port mail exchangers listen on (25; tests point it at their sinks). */
  readonly port: number;
  readonly timeouts: SessionTimeouts;
  readonly destinations: DestinationSettings;
  /** Transactions on one session before it is closed (connection reuse limit). */
  readonly maxTransactionsPerSession: number;
  /** How long an idle session is kept for the next message to its domain (ms). */
  readonly idleMs: number;
  /** MTA-STS policies; without them no policy is looked up. */
  readonly mtaSts?: MtaStsPolicies;
  /** Extra trusted CAs for certificate checks (tests). */
  readonly ca?: string | Buffer;
  readonly logger?: Logger;
}

interface Idle {
  readonly session: MxSession;
  readonly timer: NodeJS.Timeout;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Why no session could be opened: the last refusal reply (if any) and every reason. */
interface OpenFailure {
  readonly reply?: Reply;
  readonly host?: string;
  readonly why: string;
  readonly policyOnly: boolean;
}

export class MxRelay implements OutboundRelay {
  private readonly destinations: Destinations;
  private readonly idle = new Map<string, Idle[]>();
  private readonly log: Logger;

  constructor(private readonly opts: MxRelayOptions) {
    this.destinations = new Destinations(opts.destinations, opts.clock);
    this.log = opts.logger ?? silentLogger;
  }

  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const byDomain = new Map<string, string[]>();
    for (const rcpt of req.recipients)
      byDomain.set(domainOf(rcpt), [...(byDomain.get(domainOf(rcpt)) ?? []), rcpt]);
    const out: Outcomes = new Map();
    await Promise.all(
      [...byDomain].map(async ([domain, rcpts]) => {
        for (const [rcpt, o] of await this.deliverDomain(req, domain, rcpts)) out.set(rcpt, o);
      }),
    );
    return out;
  }

  private async deliverDomain(req: RelayRequest, domain: string, rcpts: string[]): Promise<Outcomes> {
    const all = (o: RecipientOutcome): Outcomes => new Map(rcpts.map((r) => [r, o]));
    const backoff = this.destinations.backoff(domain);
    if (backoff) return all(temporary(replies.mxBackingOff(domain, backoff.why)));
    const plan = await planMx(this.opts.dns, domain);
    if (plan.kind === 'null-mx') return all(permanent(replies.nullMx(domain)));
    if (plan.kind === 'temporary') return all(temporary(replies.mxLookupFailed(plan.why)));
    const policy = await this.opts.mtaSts?.policyFor(domain);
    const enforce = policy?.mode === 'enforce' ? policy : undefined;
    const hosts = enforce ? plan.hosts.filter((h) => mxAllowed(enforce, h.name)) : plan.hosts;
    if (hosts.length === 0)
      return all(temporary(replies.mtaStsRefused(domain, 'no MX host is listed in the policy')));

    const release = await this.destinations.acquire(domain);
    try {
      const idle = this.takeIdle(domain);
      if (idle) {
        const replies = idle.replies;
        const outcomes = await deliverOnSession(idle, req, rcpts);
        // The remote closed the idle session before we used it: not a failure, open a new one.
        if (!(idle.broken && idle.replies === replies)) {
          this.keepOrClose(domain, idle);
          return outcomes;
        }
      }
      const session = await this.openFirst(domain, hosts, enforce);
      if (!(session instanceof MxSession)) return all(this.failureOutcome(domain, session));
      this.destinations.succeeded(domain);
      const outcomes = await deliverOnSession(session, req, rcpts);
      this.keepOrClose(domain, session);
      return outcomes;
    } finally {
      release();
    }
  }

  /** Try each host (and each of its addresses) in order; the first usable session, or why none. */
  private async openFirst(domain: string, hosts: readonly MxHost[], enforce: StsPolicy | undefined) {
    const reasons: string[] = [];
    let last: { reply?: Reply; host?: string } = {};
    let policyOnly = true;
    for (const host of hosts) {
      for (const address of host.addresses) {
        try {
          const session = await MxSession.open({
            host: host.name,
            address,
            port: this.opts.port,
            heloName: this.opts.heloName,
            timeouts: this.opts.timeouts,
            ...(this.opts.ca ? { ca: this.opts.ca } : {}),
          });
          if (enforce && !session.tlsVerified) {
            session.close();
            reasons.push(
              `${host.name}: ${session.tls ? `certificate not valid (${session.tlsError})` : 'no STARTTLS'}`,
            );
            continue;
          }
          this.log.debug({ event: 'relay.mx_session', domain, host: host.name, address, tls: session.tls });
          return session;
        } catch (err) {
          policyOnly = false;
          const e = err instanceof SessionError ? err : new SessionError(String(err));
          reasons.push(e.reply ? `${host.name}: ${formatReply(e.reply)}` : e.message);
          last = { ...(e.reply ? { reply: e.reply } : {}), host: host.name };
        }
      }
    }
    const failure: OpenFailure = { ...last, why: reasons.join('; '), policyOnly };
    this.destinations.failed(domain, failure.why);
    this.log.warn({ event: 'relay.mx_unreachable', domain, why: failure.why });
    return failure;
  }

  /** All hosts failed: a 5xx greeting is final, a policy refusal or anything else temporary. */
  private failureOutcome(domain: string, f: OpenFailure): RecipientOutcome {
    const remote = f.host ? { remoteMta: f.host } : {};
    if (f.policyOnly) return temporary(replies.mtaStsRefused(domain, f.why));
    if (f.reply && f.reply.code >= 500) return { ...permanent(f.reply), ...remote };
    return { ...temporary(replies.mxUnreachable(domain, f.why)), ...remote };
  }

  private takeIdle(domain: string): MxSession | undefined {
    const list = this.idle.get(domain);
    let found: MxSession | undefined;
    while (list?.length && !found) {
      const idle = list.pop() as Idle;
      clearTimeout(idle.timer);
      if (!idle.session.broken) found = idle.session;
    }
    if (list?.length === 0) this.idle.delete(domain);
    return found;
  }

  private keepOrClose(domain: string, session: MxSession): void {
    if (session.broken || session.transactions >= this.opts.maxTransactionsPerSession) {
      session.close();
      return;
    }
    const list = this.idle.get(domain) ?? [];
    const timer = setTimeout(() => {
      const i = list.findIndex((x) => x.session === session);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && this.idle.get(domain) === list) this.idle.delete(domain);
      session.close();
    }, this.opts.idleMs);
    timer.unref();
    list.push({ session, timer });
    this.idle.set(domain, list);
  }

  /** Close every idle session. */
  close(): void {
    for (const list of this.idle.values()) {
      for (const idle of list.splice(0)) {
        clearTimeout(idle.timer);
        idle.session.close();
      }
    }
  }
}

/**
 * SES bounce and complaint events (configuration-set event destination → SNS → this consumer).
 * Per event:
 *   Bounce, Permanent          each bounced recipient suppressed (reason bounce) + a failure DSN
 *   Bounce, Transient/other    a failure DSN only (SES gave up; the address may work later)
 *   Complaint                  each complained recipient suppressed (reason complaint), no DSN
 *   anything else              ignored (Send, Delivery, … when the destination publishes them)
 * The DSN (core/dsn, RFC 3464, with the original's headers from the event) goes to the message's
 * envelope sender — the local account, or the forwarding account behind an SRS address — as a
 * queue job from <>, when that sender is in a hosted domain and is not the cluster's bounce
 * address (no DSN about a DSN). Its queue id is derived from the SES feedback id, so a
 * redelivered event (SNS delivers at least once) enqueues nothing new and a suppression is
 * simply written again. Failure: a body that is not an SES event is answered `ignored` with the
 * reason; storage faults reject (the Lambda fails the record and SNS retries).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { buildDsn, type DsnRecipient } from '../dsn/build-dsn.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { Suppressions } from '../ports/suppressions.ts';
import { derivedQueueId, newQueueId } from '../util/ids.ts';

const recipient = z.object({
  emailAddress: z.string(),
  status: z.string().optional(),
  action: z.string().optional(),
  diagnosticCode: z.string().optional(),
});

const sesEvent = z.object({
  eventType: z.string().optional(),
  notificationType: z.string().optional(),
  mail: z.object({
    timestamp: z.string(),
    source: z.string(),
    messageId: z.string(),
    headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  }),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(recipient),
      timestamp: z.string(),
      feedbackId: z.string(),
      reportingMTA: z.string().optional(),
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z.array(recipient.pick({ emailAddress: true })),
      timestamp: z.string(),
      feedbackId: z.string(),
      complaintFeedbackType: z.string().optional(),
    })
    .optional(),
});

export type SesEvent = z.infer<typeof sesEvent>;

export interface SesFeedbackDeps {
  readonly suppressions: Pick<Suppressions, 'put'>;
  readonly directory: Pick<DirectoryReader, 'getDomain'>;
  readonly queue: Pick<MailQueue, 'enqueue'>;
  readonly messages: Pick<MessageStore, 'put'>;
  readonly clock: Clock;
  /** Reporting-MTA of the DSNs. */
  readonly hostname: string;
  /** The cluster's bounce address (STRATO_BOUNCE_ADDRESS): mail from it gets no DSN. */
  readonly bounceAddress?: string;
}

export type SesFeedbackResult =
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'recorded'; readonly suppressed: readonly string[]; readonly dsnQueueId?: string };

/** The bare address of "Name <a@b>" or "a@b", lower case. */
function bareAddress(value: string): string {
  const m = /<([^<>]*)>\s*$/.exec(value);
  return (m ? m[1]! : value).trim().toLowerCase();
}

const oneLine = (s: string) =>
  s
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);

/** Handle one SNS message body (the SES event as JSON). */
export async function handleSesFeedback(deps: SesFeedbackDeps, body: string): Promise<SesFeedbackResult> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'ignored', why: 'not JSON' };
  }
  const parsed = sesEvent.safeParse(json);
  if (!parsed.success)
    return { kind: 'ignored', why: `not an SES event: ${parsed.error.issues[0]?.message}` };
  const event = parsed.data;
  const type = event.eventType ?? event.notificationType;
  if (type === 'Complaint' && event.complaint) return complaint(deps, event, event.complaint);
  if (type === 'Bounce' && event.bounce) return bounce(deps, event, event.bounce);
  return { kind: 'ignored', why: `event type ${type ?? '(none)'}` };
}

async function complaint(
  deps: SesFeedbackDeps,
  event: SesEvent,
  c: NonNullable<SesEvent['complaint']>,
): Promise<SesFeedbackResult> {
  const at = Date.parse(c.timestamp) || deps.clock.now();
  const suppressed = c.complainedRecipients.map((r) => bareAddress(r.emailAddress));
  for (const address of suppressed) {
    await deps.suppressions.put({
      address,
      reason: 'complaint',
      at,
      detail: oneLine(`${c.complaintFeedbackType ?? 'complaint'} (SES message ${event.mail.messageId})`),
    });
  }
  return { kind: 'recorded', suppressed };
}

async function bounce(
  deps: SesFeedbackDeps,
  event: SesEvent,
  b: NonNullable<SesEvent['bounce']>,
): Promise<SesFeedbackResult> {
  const at = Date.parse(b.timestamp) || deps.clock.now();
  const permanent = b.bounceType === 'Permanent';
  const suppressed: string[] = [];
  for (const r of b.bouncedRecipients) {
    if (!permanent) continue;
    const address = bareAddress(r.emailAddress);
    suppressed.push(address);
    await deps.suppressions.put({
      address,
      reason: 'bounce',
      at,
      detail: oneLine(`${b.bounceSubType ?? 'General'}: ${r.diagnosticCode ?? r.status ?? 'no diagnostic'}`),
    });
  }
  const dsnQueueId = await bounceDsn(deps, event, b, at);
  return { kind: 'recorded', suppressed, ...(dsnQueueId ? { dsnQueueId } : {}) };
}

/** The failure DSN to the local sender, or undefined when none is due. */
async function bounceDsn(
  deps: SesFeedbackDeps,
  event: SesEvent,
  b: NonNullable<SesEvent['bounce']>,
  at: number,
): Promise<string | undefined> {
  const sender = bareAddress(event.mail.source);
  const domain = sender.slice(sender.lastIndexOf('@') + 1);
  if (!sender.includes('@') || sender === deps.bounceAddress?.toLowerCase()) return undefined;
  if (/^mailer-daemon@/i.test(sender) || !(await deps.directory.getDomain(domain))) return undefined;
  const now = deps.clock.now();
  const sentAt = Date.parse(event.mail.timestamp) || at;
  const id = derivedQueueId(newQueueId(sentAt).slice(0, 10).padEnd(20, '0'), `ses-bounce:${b.feedbackId}`);
  const remoteMta = b.reportingMTA?.replace(/^dns;\s*/i, '');
  const recipients: DsnRecipient[] = b.bouncedRecipients.map((r) => {
    const status = /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status ?? '') ? r.status! : '5.0.0';
    const diagnostic = (r.diagnosticCode ?? '').replace(/^smtp;\s*/i, '');
    const code = /^([245]\d\d)\b/.exec(diagnostic)?.[1];
    return {
      address: bareAddress(r.emailAddress),
      action: 'failed',
      reporter: 'Amazon SES',
      reply: {
        code: code ? Number(code) : 550,
        enhanced: status.replace(/^[24]/, '5'),
        text: oneLine(
          diagnostic.replace(/^[245]\d\d[ -]([245]\.\d+\.\d+ )?/, '') || `SES ${b.bounceType} bounce`,
        ),
      },
      ...(remoteMta ? { remoteMta } : {}),
    };
  });
  const headers = (event.mail.headers ?? []).map((h) => `${h.name}: ${oneLine(h.value)}\r\n`).join('');
  const original = Readable.from([Buffer.from(`${headers}\r\n`)]);
  const body = buildDsn(
    { reportingMta: deps.hostname, queueId: id, sender, arrivalDate: sentAt, now, ret: 'HDRS', recipients },
    original,
  );
  const ref = await deps.messages.put(id, Readable.from(body));
  const job: QueueJob = {
    id,
    source: 'DSN',
    createdAt: now,
    body: ref,
    envelope: {
      mailFrom: '',
      recipients: [{ address: sender, original: sender, state: 'pending', attempts: 0, notify: ['NEVER'] }],
    },
    attempts: 0,
  };
  await deps.queue.enqueue([job]);
  return id;
}

/**
 * RFC 3464 delivery status notifications: a multipart/report with a human-readable part, a
 * message/delivery-status part (one block per recipient: Action, Status, Diagnostic-Code,
 * Original-Recipient from ORCPT, Original-Envelope-Id from ENVID) and the original message
 * (whole for RET=FULL, else only its header block). Streams the original; never buffers it.
 */
import { randomBytes } from 'node:crypto';
import type { Reply } from '../mail/outcome.ts';
import { formatReply } from '../mail/smtp-replies.ts';

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';

export interface DsnRecipient {
  readonly address: string;
  readonly orcpt?: string;
  readonly action: DsnAction;
  readonly reply?: Reply;
  /** Who reported it, for the human part (e.g. "LOCAL module(account alice@x)", "relay mx.example"). */
  readonly reporter?: string;
  /** The remote MTA that gave `reply` (Remote-MTA: dns; name). */
  readonly remoteMta?: string;
}

export interface DsnInput {
  readonly reportingMta: string;
  readonly queueId: string;
  readonly sender: string;
  readonly arrivalDate: number;
  readonly now: number;
  readonly envid?: string;
  readonly ret?: 'FULL' | 'HDRS';
  readonly recipients: readonly DsnRecipient[];
  /** For `delayed`: when the system gives up. */
  readonly willRetryUntil?: number;
}

const SUBJECTS: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delayed Mail (still being retried)',
  delivered: 'Successful Mail Delivery Report',
  relayed: 'Mail Relayed Report',
};

const rfc5322Date = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');
/** Strip CR/LF so values taken from the envelope cannot inject header lines. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

function humanText(input: DsnInput, action: DsnAction): string {
  const lines = [`This is the mail system at host ${input.reportingMta}.`, ''];
  if (action === 'failed') {
    lines.push(
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients.',
    );
  } else if (action === 'delayed') {
    lines.push(
      'Your message could not be delivered yet to one or more recipients.',
      'It will be retried until ' +
        (input.willRetryUntil ? rfc5322Date(input.willRetryUntil) : 'it expires') +
        '. You do not need to resend it.',
    );
  } else if (action === 'relayed') {
    lines.push(
      'Your message was successfully delivered to the mail server of the recipients below;',
      'it will not send further delivery notifications.',
    );
  } else {
    lines.push('Your message was successfully delivered to the recipients below.');
  }
  lines.push('');
  for (const r of input.recipients) {
    const why = r.reply ? formatReply(r.reply) : action;
    const reporter = r.reporter ?? (r.remoteMta ? `host ${r.remoteMta}` : undefined);
    lines.push(`<${oneLine(r.address)}>: ${reporter ? `${oneLine(reporter)} reports: ` : ''}${oneLine(why)}`);
  }
  return lines.join('\r\n');
}

function statusBlock(input: DsnInput, r: DsnRecipient): string {
  const fields = [`Final-Recipient: rfc822; ${oneLine(r.address)}`];
  if (r.orcpt)
    fields.push(`Original-Recipient: ${oneLine(r.orcpt.includes(';') ? r.orcpt : `rfc822; ${r.orcpt}`)}`);
  fields.push(`Action: ${r.action}`);
  const status =
    r.reply?.enhanced ?? (r.action === 'failed' ? '5.0.0' : r.action === 'delayed' ? '4.0.0' : '2.0.0');
  fields.push(`Status: ${status}`);
  if (r.remoteMta) fields.push(`Remote-MTA: dns; ${oneLine(r.remoteMta)}`);
  if (r.reply) fields.push(`Diagnostic-Code: smtp; ${oneLine(formatReply(r.reply))}`);
  fields.push(`Last-Attempt-Date: ${rfc5322Date(input.now)}`);
  if (r.action === 'delayed' && input.willRetryUntil)
    fields.push(`Will-Retry-Until: ${rfc5322Date(input.willRetryUntil)}`);
  return fields.join('\r\n');
}

/**
 * The report's action: failed when any recipient failed, else delayed when any is, else relayed
 * when every one was only relayed, else delivered.
 */
function overallAction(recipients: readonly DsnRecipient[]): DsnAction {
  const actions = new Set(recipients.map((r) => r.action));
  if (actions.has('failed')) return 'failed';
  if (actions.has('delayed')) return 'delayed';
  return actions.size === 1 && actions.has('relayed') ? 'relayed' : 'delivered';
}

/** The DSN's own header lines: from MAILER-DAEMON to the sender, a multipart/report. */
function reportHeaders(input: DsnInput, action: DsnAction, boundary: string): string[] {
  return [
    `From: Mail Delivery System <MAILER-DAEMON@${oneLine(input.reportingMta)}>`,
    `To: <${oneLine(input.sender)}>`,
    `Subject: ${SUBJECTS[action]}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${input.queueId}.${input.now}.dsn@${oneLine(input.reportingMta)}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ];
}

/** The per-message block of the delivery-status part (Reporting-MTA, queue id, ENVID, arrival). */
function perMessageBlock(input: DsnInput): string {
  const fields = [
    `Reporting-MTA: dns; ${oneLine(input.reportingMta)}`,
    `X-Strato-Queue-ID: ${input.queueId}`,
  ];
  if (input.envid) fields.push(`Original-Envelope-Id: ${oneLine(input.envid)}`);
  fields.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`);
  return fields.join('\r\n');
}

/** The first two parts: the human-readable notification and the message/delivery-status report. */
function reportParts(input: DsnInput, action: DsnAction, boundary: string): string[] {
  return [
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=utf-8',
    '',
    humanText(input, action),
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    perMessageBlock(input),
    '',
    input.recipients.map((r) => statusBlock(input, r)).join('\r\n\r\n'),
    '',
  ];
}

/** The opening of the third part; the original (whole or its header block) follows it. */
function originalPartOpening(boundary: string, original: 'full' | 'headers'): string[] {
  return [
    `--${boundary}`,
    `Content-Description: ${original === 'full' ? 'Undelivered Message' : 'Undelivered Message Headers'}`,
    `Content-Type: ${original === 'full' ? 'message/rfc822' : 'text/rfc822-headers'}`,
    '',
    '',
  ];
}

/** The DSN's text before and after the original message, and which form the original takes. */
export function dsnParts(input: DsnInput): { head: string; tail: string; original: 'full' | 'headers' } {
  const action = overallAction(input.recipients);
  const boundary = `${input.queueId}.${randomBytes(6).toString('hex')}/${oneLine(input.reportingMta)}`;
  const original = input.ret === 'FULL' ? 'full' : 'headers';
  const head = [
    ...reportHeaders(input, action, boundary),
    '',
    'This is a MIME-encapsulated message.',
    '',
    ...reportParts(input, action, boundary),
    ...originalPartOpening(boundary, original),
  ].join('\r\n');
  return { head, tail: `\r\n--${boundary}--\r\n`, original };
}

/** Yield only the header block of a message (up to and including the blank line). */
export async function* headerBlock(message: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of message) {
    const buf = Buffer.concat([carry, Buffer.from(chunk)]);
    const end = buf.indexOf('\r\n\r\n');
    if (end >= 0) {
      yield buf.subarray(0, end + 4);
      return;
    }
    // Keep 3 bytes back so a CRLFCRLF split across chunks is still found.
    yield buf.subarray(0, Math.max(0, buf.length - 3));
    carry = buf.subarray(Math.max(0, buf.length - 3));
  }
  if (carry.length) yield carry;
}

/** The whole DSN as a byte stream, reading the original message as it goes. */
export async function* buildDsn(
  input: DsnInput,
  original: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const parts = dsnParts(input);
  yield Buffer.from(parts.head);
  if (parts.original === 'full') {
    for await (const chunk of original) yield Buffer.from(chunk);
  } else {
    yield* headerBlock(original);
  }
  yield Buffer.from(parts.tail);
}

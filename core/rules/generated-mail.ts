/**
 * Builds the messages redirect, mirror and forward actions generate, and assembles a generated
 * message's body around the original message stream. Redirect: the original with only the loop
 * mark added, original envelope sender. Mirror: the original with a Resent-* block, sent by the
 * owner. Forward: a new multipart message from the owner with the original as message/rfc822.
 * Every one carries X-Strato-Loop. Pure string building; assembling only fails if the source does.
 */
import { decodeEncodedWords, firstHeader, type HeaderList } from './headers.ts';
import { loopMarkLine } from './loops.ts';
import {
  derivedMessageId,
  encodeHeaderText,
  encodeTextBody,
  formatMailbox,
  formatMessageDate,
  headerLine,
  seedHash,
} from './mime.ts';
import type { EvaluationContext, GeneratedMessage, MessageView } from './plan.ts';

/** Where a generated message comes from: the rule and a seed unique to this delivery and action. */
export interface GenerationSource {
  readonly rule: string;
  readonly idSeed: string;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);
const addressList = (to: readonly string[]) => to.map((a) => `<${a}>`).join(', ');

export function buildRedirect(
  to: readonly string[],
  view: MessageView,
  ctx: EvaluationContext,
  src: GenerationSource,
): GeneratedMessage {
  return {
    kind: 'redirect',
    rule: src.rule,
    mailFrom: view.mailFrom,
    recipients: [...to],
    head: loopMarkLine(ctx.owner),
    includesOriginal: true,
    tail: '',
    idSeed: src.idSeed,
  };
}

export function buildMirror(
  to: readonly string[],
  ctx: EvaluationContext,
  src: GenerationSource,
): GeneratedMessage {
  // RFC 5322 §3.6.6: a resent block is prepended to the original message.
  const head =
    headerLine('Resent-From', formatMailbox(ctx.owner, ctx.ownerName)) +
    headerLine('Resent-To', addressList(to)) +
    headerLine('Resent-Date', formatMessageDate(ctx.now, ctx.utcOffsetMinutes)) +
    headerLine('Resent-Message-ID', derivedMessageId(src.idSeed, domainOf(ctx.owner))) +
    loopMarkLine(ctx.owner);
  return {
    kind: 'mirror',
    rule: src.rule,
    mailFrom: ctx.owner,
    recipients: [...to],
    head,
    includesOriginal: true,
    tail: '',
    idSeed: src.idSeed,
  };
}

function forwardPreface(headers: HeaderList, ctx: EvaluationContext): string {
  const lines = [`This message was forwarded automatically by a rule of ${ctx.owner}.`, ''];
  for (const name of ['From', 'Date', 'Subject']) {
    const value = firstHeader(headers, name);
    if (value !== undefined) lines.push(`${name}: ${decodeEncodedWords(value)}`);
  }
  return lines.join('\n');
}

export function buildForward(
  to: readonly string[],
  view: MessageView,
  ctx: EvaluationContext,
  src: GenerationSource,
): GeneratedMessage {
  const boundary = `=_strato_${seedHash(`${src.idSeed}|boundary`, 32)}`;
  const original = firstHeader(view.headers, 'Subject');
  const subject = original === undefined ? 'Fwd: (no subject)' : `Fwd: ${decodeEncodedWords(original)}`;
  const preface = encodeTextBody(forwardPreface(view.headers, ctx));
  const head =
    headerLine('From', formatMailbox(ctx.owner, ctx.ownerName)) +
    headerLine('To', addressList(to)) +
    headerLine('Subject', encodeHeaderText(subject)) +
    headerLine('Date', formatMessageDate(ctx.now, ctx.utcOffsetMinutes)) +
    headerLine('Message-ID', derivedMessageId(src.idSeed, domainOf(ctx.owner))) +
    'Auto-Submitted: auto-generated\r\n' +
    loopMarkLine(ctx.owner) +
    'MIME-Version: 1.0\r\n' +
    `Content-Type: multipart/mixed; boundary="${boundary}"\r\n` +
    '\r\n' +
    'This is a MIME-encapsulated message.\r\n' +
    `\r\n--${boundary}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Transfer-Encoding: ${preface.encoding}\r\n` +
    '\r\n' +
    preface.body +
    `\r\n--${boundary}\r\n` +
    'Content-Type: message/rfc822\r\n' +
    'Content-Disposition: inline\r\n' +
    'Content-Transfer-Encoding: 8bit\r\n' +
    '\r\n';
  return {
    kind: 'forward',
    rule: src.rule,
    mailFrom: ctx.owner,
    recipients: [...to],
    head,
    includesOriginal: true,
    tail: `\r\n--${boundary}--\r\n`,
    idSeed: src.idSeed,
  };
}

/**
 * The generated message's bytes: head, the original (when it is included), tail. `original`
 * is only read when the message includes it; pass the stored body stream.
 */
export async function* assembleGeneratedBody(
  message: GeneratedMessage,
  original?: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array> {
  yield Buffer.from(message.head, 'utf8');
  if (message.includesOriginal) {
    if (!original) throw new Error(`${message.kind} message needs the original body`);
    for await (const chunk of original) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  }
  if (message.tail) yield Buffer.from(message.tail, 'utf8');
}

/**
 * The JSON between the Lambda channel and the backend Lambda, as zod schemas with the types
 * inferred from them: the invocation (the same request as LMTP, the body by reference) and the
 * answer (one outcome per recipient, in request order, with the typed account fact as a field).
 * The backend validates the event it is given; the channel validates the answer it gets back.
 * `parseDeliveryAnswer` never throws: what it cannot read it names as a problem, and the
 * channel answers `temporary` for the recipients left without a readable outcome.
 */
import { z } from 'zod';
import { BACKEND_ID_PATTERN } from '../../core/config/backend-config.ts';
import type { MessageSource } from '../../core/mail/message-source.ts';
import type { RecipientOutcome } from '../../core/mail/outcome.ts';

/** Every MessageSource, each as itself: a source added to core and not here fails to compile. */
const SOURCES = {
  SMTP: 'SMTP',
  SUBMIT: 'SUBMIT',
  RULE: 'RULE',
  DSN: 'DSN',
  CLI: 'CLI',
} as const satisfies { readonly [S in MessageSource]: S };

export const deliveryInvocationSchema = z.object({
  deliveryId: z.string().min(1),
  mailFrom: z.string().default(''),
  recipients: z.array(z.string().min(1)),
  source: z.enum(SOURCES).optional(),
  body: z.object({ key: z.string().min(1), size: z.number().int().nonnegative() }),
});
/** What the channel sends (mailFrom may be left out: the null sender). */
export type DeliveryInvocation = z.input<typeof deliveryInvocationSchema>;

const replySchema = z.object({
  code: z.number().int().min(200).max(599),
  enhanced: z.string(),
  text: z.string(),
});

const accountFactSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('open-elsewhere'), owner: z.string().regex(BACKEND_ID_PATTERN) }),
  z.object({ state: z.literal('disabled') }),
  z.object({ state: z.literal('full') }),
  z.object({
    state: z.literal('moving'),
    why: z.enum(['backend-stopping', 'backend-unreachable', 'no-live-backend']),
  }),
]);

/** Typed as the core outcome: a wire schema that drifts from it fails to compile. */
const outcomeSchema: z.ZodType<RecipientOutcome> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delivered'), reply: replySchema.optional() }),
  z.object({ kind: z.literal('temporary'), reply: replySchema, account: accountFactSchema.optional() }),
  z.object({ kind: z.literal('permanent'), reply: replySchema }),
]);

const answerEntrySchema = z.object({ recipient: z.string(), outcome: outcomeSchema });

export const deliveryInvocationResultSchema = z.object({ outcomes: z.array(answerEntrySchema) });
export type DeliveryInvocationResult = z.infer<typeof deliveryInvocationResultSchema>;

/** One line naming each problem and where it is ("body.key: …; recipients: …"). */
function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export interface DeliveryAnswer {
  /** The readable outcomes, by recipient. */
  readonly outcomes: Map<string, RecipientOutcome>;
  /** What could not be read (a malformed answer or entry), if anything. */
  readonly problem?: string;
}

/** Read a backend Lambda's answer (the parsed JSON), entry by entry. */
export function parseDeliveryAnswer(json: unknown): DeliveryAnswer {
  const outcomes = new Map<string, RecipientOutcome>();
  const shape = z.object({ outcomes: z.array(z.unknown()) }).safeParse(json);
  if (!shape.success) return { outcomes, problem: `malformed answer: ${issues(shape.error)}` };
  const problems: string[] = [];
  for (const entry of shape.data.outcomes) {
    const parsed = answerEntrySchema.safeParse(entry);
    if (parsed.success) outcomes.set(parsed.data.recipient, parsed.data.outcome);
    else problems.push(`malformed outcome: ${issues(parsed.error)}`);
  }
  return problems.length ? { outcomes, problem: problems.join('; ') } : { outcomes };
}

/** Validate a backend Lambda's event; a bad one throws an Error naming every problem. */
export function parseDeliveryInvocation(event: unknown): z.output<typeof deliveryInvocationSchema> {
  const parsed = deliveryInvocationSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`invalid delivery invocation: ${issues(parsed.error)}`);
  }
  return parsed.data;
}

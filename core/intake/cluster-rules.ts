/**
 * Cluster-wide rules, run once per received message on the frontend after its body is stored and
 * before its job is enqueued (owner = the postmaster, recipients = every envelope recipient). They
 * may add headers or tag the subject (the body is stored again, edited), reject (550 5.7.1 at the
 * end of DATA), discard, or redirect/forward/mirror/reply (extra jobs with source RULE under ids
 * derived from the message's). Returns the jobs to enqueue and which bodies to delete when; storage
 * faults reject (the caller answers 451 and deletes what it stored).
 */
import { Readable } from 'node:stream';
import { readHeaderBlock } from '../mail/header-block.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import type { RuleStore } from '../ports/rule-store.ts';
import {
  type AutoReplyMemory,
  assembleGeneratedBody,
  editMessageHeaders,
  evaluateRules,
  finalizeAutoReplies,
  parseHeaderBlock,
  type Rule,
  RuleSetError,
} from '../rules/index.ts';
import { generatedRecipients } from '../rules-runner/generated-mail-sink.ts';
import { derivedQueueId } from '../util/ids.ts';

export interface ClusterRulesDeps {
  readonly store: RuleStore;
  readonly autoReplies: AutoReplyMemory;
  readonly directory: DirectoryReader;
  readonly messages: MessageStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Owner of the cluster rules (From of their replies), e.g. postmaster@<hostname>. */
  readonly postmaster: string;
  /** Received headers before generation counts as a loop (default 50). */
  readonly receivedLimit?: number;
}

export type ClusterDecision =
  | { readonly kind: 'reject'; readonly reply: Reply }
  | {
      readonly kind: 'enqueue';
      /** The message's job (unless dropped) and the jobs the rules generated; may be empty. */
      readonly jobs: readonly QueueJob[];
      /** Bodies the rules stored: delete them if the enqueue fails. */
      readonly created: readonly BodyRef[];
      /** Bodies no job refers to any more: delete them once the enqueue succeeded. */
      readonly obsolete: readonly BodyRef[];
    };

async function clusterRules(deps: ClusterRulesDeps): Promise<readonly Rule[]> {
  try {
    return await deps.store.get({ kind: 'cluster' });
  } catch (err) {
    if (!(err instanceof RuleSetError)) throw err;
    deps.logger.error({ event: 'rules.invalid_stored', set: 'cluster', problems: err.problems });
    return [];
  }
}

export async function applyClusterRules(deps: ClusterRulesDeps, job: QueueJob): Promise<ClusterDecision> {
  const rules = await clusterRules(deps);
  if (rules.length === 0) return { kind: 'enqueue', jobs: [job], created: [], obsolete: [] };
  const now = deps.clock.now();
  const headers = parseHeaderBlock(await readHeaderBlock(await deps.messages.open(job.body)));
  const plan = evaluateRules(
    [{ scope: 'cluster', rules }],
    {
      mailFrom: job.envelope.mailFrom,
      recipients: job.envelope.recipients.map((r) => r.original),
      source: job.source,
      headers,
      size: job.body.size,
    },
    {
      owner: deps.postmaster,
      now: new Date(now),
      deliveryId: job.id,
      ...(deps.receivedLimit !== undefined ? { receivedLimit: deps.receivedLimit } : {}),
    },
  );
  const log = deps.logger.child({ queueId: job.id });
  const matched = plan.trace.filter((t) => t.status === 'matched').map((t) => t.name);
  if (matched.length > 0) log.info({ event: 'rules.cluster_matched', matched, fate: plan.fate.kind });
  if (plan.loopBlocked) log.warn({ event: 'rules.loop_blocked', reason: plan.loopBlocked });
  if (plan.fate.kind === 'reject') return { kind: 'reject', reply: replies.rejectedByRule(plan.fate.text) };

  const jobs: QueueJob[] = [];
  const created: BodyRef[] = [];
  const obsolete: BodyRef[] = [];
  if (plan.fate.kind === 'deliver' && plan.headerEdits.length > 0) {
    const edited = await deps.messages.put(
      derivedQueueId(job.id, 'cluster-rules'),
      Readable.from(editMessageHeaders(plan.headerEdits, await deps.messages.open(job.body))),
    );
    created.push(edited);
    obsolete.push(job.body);
    jobs.push({ ...job, body: edited });
  } else if (plan.fate.kind === 'deliver') jobs.push(job);
  else obsolete.push(job.body);

  const autoReplies = await finalizeAutoReplies(plan, deps.autoReplies);
  for (const m of [...plan.messages, ...autoReplies.messages]) {
    const id = derivedQueueId(job.id, m.idSeed);
    const original = m.includesOriginal ? await deps.messages.open(job.body) : undefined;
    const body = await deps.messages.put(id, Readable.from(assembleGeneratedBody(m, original)));
    created.push(body);
    jobs.push({
      id,
      source: 'RULE',
      createdAt: now,
      body,
      envelope: {
        mailFrom: m.mailFrom,
        recipients: await generatedRecipients(deps.directory, m.recipients, now),
        ...(m.includesOriginal && job.envelope.smtputf8 ? { smtputf8: true } : {}),
        ...(m.includesOriginal && job.envelope.bodyType ? { bodyType: job.envelope.bodyType } : {}),
      },
      attempts: 0,
    });
    log.info({ event: 'rules.generated', kind: m.kind, rule: m.rule, id, to: m.recipients, via: 'queue' });
  }
  return { kind: 'enqueue', jobs, created, obsolete };
}

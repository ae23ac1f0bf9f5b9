/**
 * Cluster-wide rules, run once per received message on the frontend after its body is stored and
 * before its job is enqueued, through the rules runner (rules-runner/run-rules.ts; owner = the
 * postmaster, recipients = every envelope recipient). They may add headers or tag the subject (the
 * body is stored again, edited), reject (550 5.7.1 at the end of DATA), discard, or
 * redirect/forward/mirror/reply (extra jobs with source RULE under ids derived from the message's,
 * stored by a collecting sink and enqueued by the caller together with the message's job). Returns
 * the jobs to enqueue and which bodies to delete when. A storage fault deletes what this run
 * stored (best effort) and rejects: the caller answers 451 and deletes the message's body.
 */
import { Readable } from 'node:stream';
import { replies } from '../mail/smtp-replies.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import type { RuleStore } from '../ports/rule-store.ts';
import { type AutoReplyMemory, editMessageHeaders, type RulesPlan } from '../rules/index.ts';
import { collectingSink, type ScreenDecision } from '../rules-runner/generated-mail-sink.ts';
import { evaluateRuleSets, type RulesRun, submitGenerated } from '../rules-runner/run-rules.ts';
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
  /** Received headers before generation counts as a loop (default: DEFAULT_RULES_HOP_LIMIT). */
  readonly receivedLimit?: number;
}

/** The message's job (unless dropped) and the jobs the rules generated, or a reject. */
export type ClusterDecision = ScreenDecision;

/** What becomes of the message's own job: kept, kept with an edited body, or dropped. */
interface OwnJob {
  readonly jobs: readonly QueueJob[];
  readonly created: readonly BodyRef[];
  readonly obsolete: readonly BodyRef[];
}

function clusterRun(deps: ClusterRulesDeps, job: QueueJob): RulesRun {
  const { envelope } = job;
  return {
    sets: [{ kind: 'cluster' }],
    subject: {
      deliveryId: job.id,
      mailFrom: envelope.mailFrom,
      source: job.source,
      size: job.body.size,
      openBody: () => deps.messages.open(job.body),
      ...(envelope.smtputf8 ? { smtputf8: true } : {}),
      ...(envelope.bodyType ? { bodyType: envelope.bodyType } : {}),
    },
    recipients: envelope.recipients.map((r) => r.original),
    owner: { address: deps.postmaster },
    ...(deps.receivedLimit !== undefined ? { receivedLimit: deps.receivedLimit } : {}),
    logFields: { queueId: job.id },
  };
}

/** Header edits are applied by storing the message again under a derived id. */
async function ownJob(deps: ClusterRulesDeps, job: QueueJob, plan: RulesPlan): Promise<OwnJob> {
  if (plan.fate.kind !== 'deliver') return { jobs: [], created: [], obsolete: [job.body] };
  if (plan.headerEdits.length === 0) return { jobs: [job], created: [], obsolete: [] };
  const edited = await deps.messages.put(
    derivedQueueId(job.id, 'cluster-rules'),
    Readable.from(editMessageHeaders(plan.headerEdits, await deps.messages.open(job.body))),
  );
  return { jobs: [{ ...job, body: edited }], created: [edited], obsolete: [job.body] };
}

/** Best effort: a body that stays behind is an orphan no job refers to. */
async function deleteStored(deps: ClusterRulesDeps, refs: readonly BodyRef[], queueId: string) {
  for (const ref of refs) {
    await deps.messages.delete(ref).catch((err: unknown) => {
      deps.logger.warn({ event: 'intake.orphan_body', queueId, key: ref.key, err });
    });
  }
}

export async function applyClusterRules(deps: ClusterRulesDeps, job: QueueJob): Promise<ClusterDecision> {
  const run = clusterRun(deps, job);
  const plan = await evaluateRuleSets(deps, run);
  if (plan.fate.kind === 'reject') return { kind: 'reject', reply: replies.rejectedByRule(plan.fate.text) };
  const sink = collectingSink(deps);
  let own: OwnJob | undefined;
  try {
    own = await ownJob(deps, job, plan);
    await submitGenerated(deps, run, plan, sink);
  } catch (err) {
    await deleteStored(deps, [...(own?.created ?? []), ...sink.jobs.map((j) => j.body)], job.id);
    throw err;
  }
  return {
    kind: 'enqueue',
    jobs: [...own.jobs, ...sink.jobs],
    created: [...own.created, ...sink.jobs.map((j) => j.body)],
    obsolete: own.obsolete,
  };
}

/**
 * The stage config of the CDK app: one typed, validated object per deployment stage, read once in
 * cdk/app.ts (context `stage`, default "dev", from cdk/stages/<stage>.json or the file named by
 * context `stageFile`). Constructs receive plain values from it and never read the environment.
 * An invalid file stops synth with every problem listed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  DEFAULT_CONTENT_FILTER,
  DEFAULT_FRONTEND_GROUP,
  DEFAULT_INTERNAL_SMTP_PORT,
  DEFAULT_LMTP_PORT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_MX_PORT,
  DEFAULT_QUEUE_CONCURRENCY,
  DEFAULT_QUEUE_VISIBILITY_SECONDS,
  DEFAULT_SUBMISSION_PORT,
  DEFAULT_TLS_PORT,
  DEFAULT_TLS_RELOAD_SECONDS,
  FILTER_FAILURE_MODES,
  LOG_LEVELS,
} from '../core/config/defaults.ts';
import { SES_MAX_INTAKE_BYTES } from '../core/outbound/ses-limits.ts';
import { adminConfigSchema } from './config-admin.ts';

const port = z.number().int().min(1).max(65535);

/** STRATO_FRONTEND_GROUP: what `strato cluster set processing <group>` names. */
const frontendGroup = z
  .string()
  .regex(/^[A-Za-z0-9._:-]+$/)
  .refine((g) => !['all', 'none', 'default'].includes(g), 'reserved');

export const stageConfigSchema = z
  .object({
    /** Part of resource and bucket names: short, lower-case. */
    stage: z
      .string()
      .max(12)
      .regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    /** Optional explicit environment; omitted = environment-agnostic stacks (synth needs no credentials). */
    env: z.object({ account: z.string().regex(/^\d{12}$/), region: z.string().min(1) }).optional(),
    /** Stateful resources survive `cdk destroy` unless this is false (dev stages). */
    retainData: z.boolean().default(true),
    /** The name frontends greet with and sign DSNs as (the MX host name). */
    hostname: z.string().min(1),
    /**
     * Shorthand for one entry of ses.domains (kept for stages written before the list): its
     * identity keeps its logical id, so its Easy DKIM tokens stay.
     */
    sesIdentityDomain: z.string().min(1).optional(),
    /**
     * SES sending identities: one domain identity per hosted domain that sends mail, each with
     * Easy DKIM and a custom MAIL FROM domain `<mailFromSubdomain>.<domain>` (default `bounce`).
     * Domains added later with `strato domain add` get theirs with `aws sesv2` (README).
     */
    ses: z
      .object({
        domains: z
          .array(
            z.object({
              domain: z
                .string()
                .regex(
                  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/,
                  'a lower-case domain name',
                ),
              mailFromSubdomain: z
                .string()
                .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'one DNS label')
                .default('bounce'),
            }),
          )
          .default([]),
      })
      .prefault({}),
    /** Envelope sender of DSNs. */
    bounceAddress: z.string().includes('@'),
    logLevel: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
    queue: z
      .object({
        maxReceiveCount: z.number().int().min(1).max(1000).default(DEFAULT_MAX_RECEIVE_COUNT),
        /** The processors' visibility timeout (STRATO_QUEUE_VISIBILITY_SECONDS); SQS's default is never lower. */
        visibilitySeconds: z
          .number()
          .int()
          .min(30)
          .max(12 * 3600)
          .default(DEFAULT_QUEUE_VISIBILITY_SECONDS),
        /** Where jobs are processed: inside the frontend tasks, or by the queue Lambda. */
        processing: z.enum(['frontends', 'lambda']).default('frontends'),
        concurrency: z.number().int().min(1).default(DEFAULT_QUEUE_CONCURRENCY),
        /** Alarm when the oldest queued message is older than this. */
        oldestMessageAlarmSeconds: z.number().int().min(60).default(1800),
      })
      .prefault({}),
    /**
     * How processors choose a backend for an account without a HomeBackend: dynamic (lease owner,
     * else rendezvous over live backends; fails over) or static (rendezvous over every registered
     * backend; never fails over). Fargate backends only: their slot ids are stable.
     */
    cluster: z.enum(['dynamic', 'static']).default('dynamic'),
    backend: z
      .object({
        /** Backends as LMTP tasks on Fargate (Cloud Map discovery) or as the backend Lambda. */
        mode: z.enum(['fargate', 'lambda']).default('fargate'),
        cpu: z.number().int().default(512),
        memoryMiB: z.number().int().default(1024),
        /** Fargate backends at start, and the autoscaling minimum when `maxTasks` is higher. */
        desiredCount: z.number().int().min(1).default(2),
        /**
         * Autoscale Fargate backends on CPU up to this many tasks (dynamic cluster only); the slot
         * count (STRATO_BACKEND_SLOTS) is this, so every task the autoscaler adds finds a free slot.
         * Unset: a fixed count of desiredCount.
         */
        maxTasks: z.number().int().min(1).optional(),
        cpuTargetPercent: z.number().int().min(10).max(90).default(60),
        lmtpPort: port.default(DEFAULT_LMTP_PORT),
        /**
         * Where mail the backends' rules generate goes at start (STRATO_GENERATED_MAIL): "queue"
         * (remote queue processing; the backend runs the cluster rules) or "smtp" (forward to the
         * frontends' internal port, the "*" forwarding server). Fargate backends always get the
         * frontends' internal address, so the mode can change at runtime.
         */
        generatedMail: z.enum(['queue', 'smtp']).default('queue'),
        lambdaMemoryMiB: z.number().int().min(128).default(1024),
        /** The backend function's timeout: one delivery (its own, shorter than the queue function's). */
        lambdaTimeoutSeconds: z.number().int().min(5).max(900).default(30),
        /**
         * Reserved concurrency of the backend function: its share of the account's Lambda
         * concurrency, which also caps it (a burst is throttled, and the queue retries).
         */
        lambdaReservedConcurrency: z.number().int().min(1).default(20),
      })
      .prefault({}),
    frontend: z
      .object({
        cpu: z.number().int().default(512),
        memoryMiB: z.number().int().default(1024),
        minTasks: z.number().int().min(1).default(2),
        maxTasks: z.number().int().min(1).default(10),
        cpuTargetPercent: z.number().int().min(10).max(90).default(60),
        /**
         * Sessions one public listener of a task takes (STRATO_MAX_CLIENTS, smtp-server
         * maxClients); past it a client gets 421 4.3.2 and the NLB's next connection may land
         * on another task. 0 = no cap.
         */
        maxClients: z.number().int().min(0).default(DEFAULT_MAX_CLIENTS),
        /**
         * Target tracking on SmtpSessionsOpen (Average per task, beside CPU): tasks are added
         * while the average is above it. Below maxClients, so tasks scale out before they shed.
         */
        sessionsTargetPerTask: z.number().int().min(1).default(200),
        /** Container ports (non-root); the NLB listens on 25, 587 and 465 and forwards here. */
        mxPort: port.default(DEFAULT_MX_PORT),
        submissionPort: port.default(DEFAULT_SUBMISSION_PORT),
        tlsPort: port.default(DEFAULT_TLS_PORT),
        /** Plain SMTP for the backends' generated mail; only the backends' security group reaches it. */
        internalPort: port.default(DEFAULT_INTERNAL_SMTP_PORT),
        /** The frontend's HTTP health endpoint (GET /health), checked by the NLB. */
        healthCheckPort: port.default(8080),
        /**
         * STRATO_FRONTEND_GROUP of the tasks: `strato cluster set processing <group>` names it
         * (task ids change with every deployment; the group does not).
         */
        group: frontendGroup.default(DEFAULT_FRONTEND_GROUP),
        /**
         * Optional second service of intake-only frontends behind the same NLB listeners (same task
         * size, ports and grants; STRATO_QUEUE_PROCESSING=false and its own group, task counts and
         * CPU scaling). The service above keeps processing the queue by default; the cluster
         * setting `processing` can switch either group at runtime. Needs queue.processing "frontends".
         */
        intake: z
          .object({
            group: frontendGroup.default('intake'),
            minTasks: z.number().int().min(1).default(2),
            maxTasks: z.number().int().min(1).default(10),
          })
          .optional(),
        /** Intake limit (STRATO_MAX_MESSAGE_SIZE); at most SES v2's raw limit less the relay's headers. */
        maxMessageSize: z
          .number()
          .int()
          .min(1024)
          .max(SES_MAX_INTAKE_BYTES, {
            message: `at most ${SES_MAX_INTAKE_BYTES} bytes: SES v2 takes 40 MB after base64 (30 MiB raw) and the relay adds headers`,
          })
          .default(25 * 1024 * 1024),
        /**
         * The frontends' certificate: a Secrets Manager secret (by name) holding
         * {"certificate": PEM chain, "privateKey": PEM}, read at start and re-read every
         * reloadSeconds (a rotation reaches new sessions without a restart). Without one the tasks
         * make a self-signed certificate, which verifying clients refuse: only the "dev" stage
         * does that unless allowSelfSigned says so.
         */
        /**
         * Optional rspamd sidecar in every frontend task (README "Content filtering"): the
         * frontend scans each message through it on 127.0.0.1:11333. `image` names an rspamd
         * container image (e.g. the official rspamd/rspamd at a pinned tag or an ECR copy);
         * its memory is added to the task size (rounded up to Fargate's 1 GiB steps). The
         * frontend container starts once the sidecar is healthy (`rspamc stat` answers).
         */
        contentFilter: z
          .object({
            image: z.string().min(1),
            memoryMiB: z.number().int().min(256).default(512),
            timeoutMs: z.number().int().min(100).default(DEFAULT_CONTENT_FILTER.timeoutMs),
            failure: z.enum(FILTER_FAILURE_MODES).default(DEFAULT_CONTENT_FILTER.failure),
          })
          .optional(),
        tls: z
          .object({
            secretName: z.string().min(1).optional(),
            allowSelfSigned: z.boolean().optional(),
            reloadSeconds: z.number().int().min(30).default(DEFAULT_TLS_RELOAD_SECONDS),
          })
          .prefault({}),
      })
      .prefault({}),
    queueLambda: z
      .object({
        memoryMiB: z.number().int().min(128).default(1024),
        /** The queue function's timeout; queue.visibilitySeconds must be at least six times it. */
        timeoutSeconds: z.number().int().min(5).max(900).default(60),
        batchSize: z.number().int().min(1).max(10).default(10),
        /** Most concurrent invocations the SQS event source makes (its MaximumConcurrency, 2..1000). */
        maxConcurrency: z.number().int().min(2).max(1000).default(10),
        /** Minutes between the EventBridge-scheduled dead-letter sweeps of the queue function. */
        deadLetterSweepMinutes: z.number().int().min(1).max(1440).default(1),
      })
      .prefault({}),
    /** The admin API and WebAdmin service (cdk/config-admin.ts): deployed, reachable only from allowedCidrs. */
    admin: adminConfigSchema.prefault({}),
    natGateways: z.number().int().min(1).max(3).default(1),
    /** Who is told about alarms: an e-mail subscription and/or an existing SNS topic (paging). */
    alarmEmail: z.string().includes('@').optional(),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'an SNS topic ARN')
      .optional(),
    /** Alarm thresholds (README "Metrics and alarms"); each over a 5-minute sum unless it says rate. */
    alarms: z
      .object({
        smtp4xxPer5Minutes: z.number().int().min(1).default(500),
        smtp5xxPer5Minutes: z.number().int().min(1).default(500),
        authFailuresPer5Minutes: z.number().int().min(1).default(100),
        relayFailuresPer5Minutes: z.number().int().min(1).default(20),
        /** SES reviews an account above a 0.1 % complaint rate and may pause sending at 0.5 %. */
        sesComplaintRate: z.number().min(0).max(1).default(0.001),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    for (const [i, d] of c.ses.domains.entries()) {
      if (seen.has(d.domain)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ses', 'domains', i, 'domain'],
          message: `${d.domain} is listed twice`,
        });
      }
      seen.add(d.domain);
    }
    if (c.stage !== 'dev' && !c.alarmEmail && !c.alarmTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmEmail'],
        message:
          'a non-dev stage must name who its alarms reach: alarmEmail and/or alarmTopicArn (README "Metrics and alarms")',
      });
    }
    if (c.frontend.maxClients > 0 && c.frontend.sessionsTargetPerTask >= c.frontend.maxClients) {
      ctx.addIssue({
        code: 'custom',
        path: ['frontend', 'sessionsTargetPerTask'],
        message: `must be below frontend.maxClients (${c.frontend.maxClients}): scale out before tasks shed load`,
      });
    }
    if (!c.frontend.tls.secretName && !selfSignedAllowed(c)) {
      ctx.addIssue({
        code: 'custom',
        path: ['frontend', 'tls'],
        message:
          'no certificate: name a Secrets Manager secret in frontend.tls.secretName (see README "TLS ' +
          'certificates"), or set frontend.tls.allowSelfSigned to true (verifying clients will refuse it)',
      });
    }
    if (c.frontend.tls.secretName && c.frontend.tls.allowSelfSigned) {
      ctx.addIssue({
        code: 'custom',
        path: ['frontend', 'tls', 'allowSelfSigned'],
        message: 'a stage with a certificate secret never falls back to a self-signed one: omit it',
      });
    }
    if (c.backend.maxTasks !== undefined && c.backend.maxTasks < c.backend.desiredCount) {
      ctx.addIssue({ code: 'custom', path: ['backend', 'maxTasks'], message: 'less than desiredCount' });
    }
    if (
      c.backend.maxTasks !== undefined &&
      c.backend.maxTasks > c.backend.desiredCount &&
      c.cluster === 'static'
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['backend', 'maxTasks'],
        message:
          "a static cluster's homes name backend slots: scaling in would strand them; use a fixed desiredCount",
      });
    }
    if (c.frontend.minTasks > c.frontend.maxTasks) {
      ctx.addIssue({ code: 'custom', path: ['frontend', 'minTasks'], message: 'greater than maxTasks' });
    }
    const intake = c.frontend.intake;
    if (intake && intake.minTasks > intake.maxTasks) {
      ctx.addIssue({
        code: 'custom',
        path: ['frontend', 'intake', 'minTasks'],
        message: 'greater than maxTasks',
      });
    }
    if (intake && intake.group === c.frontend.group) {
      ctx.addIssue({
        code: 'custom',
        path: ['frontend', 'intake', 'group'],
        message: 'must differ from frontend.group (a processing setting naming one would name both)',
      });
    }
    if (intake && c.queue.processing === 'lambda') {
      ctx.addIssue({
        code: 'custom',
        path: ['frontend', 'intake'],
        message: 'the queue Lambda processes the queue, so every frontend is intake-only already: omit it',
      });
    }
    if (c.cluster === 'static' && c.backend.mode !== 'fargate') {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster'],
        message: 'a static cluster pins accounts to backend ids: use backend.mode "fargate"',
      });
    }
    if (c.queue.processing === 'lambda' && c.backend.mode === 'fargate') {
      ctx.addIssue({
        code: 'custom',
        path: ['queue', 'processing'],
        message:
          'the queue Lambda runs outside the VPC and cannot reach LMTP backends: use backend.mode "lambda"',
      });
    }
    if (c.backend.generatedMail === 'smtp' && c.backend.mode === 'lambda') {
      ctx.addIssue({
        code: 'custom',
        path: ['backend', 'generatedMail'],
        message:
          'the backend Lambda runs outside the VPC and cannot reach the frontends\' internal port: use "queue"',
      });
    }
    if (c.queue.processing === 'lambda') {
      // AWS's rule for an SQS event source: a record must not come back while an invocation
      // (and its retries of throttled batches) may still hold it.
      if (c.queue.visibilitySeconds < 6 * c.queueLambda.timeoutSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['queue', 'visibilitySeconds'],
          message: `must be at least six times queueLambda.timeoutSeconds (${6 * c.queueLambda.timeoutSeconds})`,
        });
      }
      if (c.backend.mode === 'lambda' && c.backend.lambdaTimeoutSeconds >= c.queueLambda.timeoutSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['backend', 'lambdaTimeoutSeconds'],
          message: 'must be shorter than queueLambda.timeoutSeconds (the queue function waits for it)',
        });
      }
      if (c.backend.mode === 'lambda' && c.backend.lambdaReservedConcurrency < c.queueLambda.maxConcurrency) {
        ctx.addIssue({
          code: 'custom',
          path: ['backend', 'lambdaReservedConcurrency'],
          message: 'must be at least queueLambda.maxConcurrency (each queue invocation delivers through it)',
        });
      }
    }
  });

export type StageConfig = z.output<typeof stageConfigSchema>;

export class StageConfigError extends Error {}

/** Parse and validate a stage config object; throws StageConfigError listing every problem. */
export interface SesDomain {
  readonly domain: string;
  readonly mailFromSubdomain: string;
}

/** The stage's SES sending domains: sesIdentityDomain first (if set and not listed), then ses.domains. */
export function sesDomains(c: Pick<StageConfig, 'sesIdentityDomain' | 'ses'>): SesDomain[] {
  const listed = c.ses.domains;
  const legacy = c.sesIdentityDomain?.toLowerCase();
  return legacy && !listed.some((d) => d.domain === legacy)
    ? [{ domain: legacy, mailFromSubdomain: 'bounce' }, ...listed]
    : [...listed];
}

export function parseStageConfig(raw: unknown, source = 'stage config'): StageConfig {
  const result = stageConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new StageConfigError(`${source} is invalid:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** Load cdk/stages/<stage>.json, or the file given explicitly. */
export function loadStageConfig(stage: string, file?: string): StageConfig {
  const path = file ?? fileURLToPath(new URL(`./stages/${stage}.json`, import.meta.url));
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new StageConfigError(`cannot read stage config ${path}: ${(err as Error).message}`);
  }
  return parseStageConfig(raw, path);
}

/** Whether a stage without a certificate secret may run self-signed: dev by default, others when they say so. */
export function selfSignedAllowed(c: {
  stage: string;
  frontend: { tls: { allowSelfSigned?: boolean | undefined } };
}): boolean {
  return c.frontend.tls.allowSelfSigned ?? c.stage === 'dev';
}

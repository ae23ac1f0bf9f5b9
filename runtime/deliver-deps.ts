/**
 * Builds the backend's delivery dependencies from storage and config, shared by the LMTP backend
 * process and the backend Lambda: leases (cached per process), rules with their generated-mail
 * sink (back to the shared queue through the cluster rules, or over SMTP to the frontends, which
 * run them at intake; chosen per delivery by the cluster's generated-mail setting, else
 * STRATO_GENERATED_MAIL; the backend Lambda always uses the queue), counters, SRS secret, and the
 * message-history recorder (flushed by `close()`; the Lambda flushes it after every invoke).
 * Pure assembly; nothing is contacted here.
 */

import { SmtpGeneratedSink } from '../adapters/net/smtp-generated-sink.ts';
import type { BackendConfig } from '../core/config/backend-config.ts';
import type { DeliverDeps } from '../core/delivery/deliver-to-accounts.ts';
import { LeaseCache } from '../core/delivery/lease-cache.ts';
import { applyClusterRules } from '../core/intake/cluster-rules.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Logger } from '../core/ports/logger.ts';
import type { Storage } from '../core/ports/storage.ts';
import { queueSink } from '../core/rules-runner/generated-mail-sink.ts';
import { type SinkMode, SwitchingSink } from '../core/rules-runner/switching-sink.ts';
import { HistoryRecorder } from '../core/util/history-recorder.ts';
import { TtlCache } from '../core/util/ttl-cache.ts';

/** How long a backend trusts the cluster's generated-mail mode it read. */
const GENERATED_MODE_CACHE_MS = 5_000;

export function buildDeliverDeps(
  storage: Storage,
  config: BackendConfig,
  opts: { clock: Clock; logger: Logger; srsSecret: string; role?: 'backend' | 'backend-lambda' },
): DeliverDeps & {
  readonly leaseCache: LeaseCache;
  readonly history: HistoryRecorder;
  close(): Promise<void>;
} {
  const actor = { role: opts.role ?? 'backend', id: config.backendId } as const;
  const history = new HistoryRecorder(storage.history, actor, opts.clock, opts.logger);
  const queue = queueSink({
    queue: storage.queue,
    messages: storage.messages,
    directory: storage.directory,
    clock: opts.clock,
    logger: opts.logger,
    // Generated mail passes the cluster rules once, like mail received over SMTP.
    clusterRules: (job) =>
      applyClusterRules(
        {
          store: storage.rules,
          autoReplies: storage.autoReplies,
          directory: storage.directory,
          messages: storage.messages,
          clock: opts.clock,
          logger: opts.logger,
          postmaster: `postmaster@${config.hostname}`,
          receivedLimit: config.rulesHopLimit,
        },
        job,
      ),
    history,
  });
  // The cluster's generated-mail setting wins over STRATO_GENERATED_MAIL, read at most every 5 s.
  // The backend Lambda runs outside the VPC and cannot reach the frontends: always the queue.
  const canForward = opts.role !== 'backend-lambda';
  const defaultMode: SinkMode = canForward ? config.generatedMail : 'queue';
  const settings = new TtlCache<SinkMode>(opts.clock, GENERATED_MODE_CACHE_MS, 1);
  const currentMode = async (): Promise<SinkMode> =>
    !canForward
      ? defaultMode
      : settings
          .get('mode', async () => {
            const mode = (await storage.control.getQueueSettings()).generatedMail;
            return mode === undefined ? defaultMode : mode === 'forward' ? 'smtp' : 'queue';
          })
          .catch((err) => {
            opts.logger.warn({
              event: 'rules.generated_mode_read_failed',
              err: String(err),
              fallback: defaultMode,
            });
            return defaultMode;
          });
  const sink = new SwitchingSink({
    currentMode,
    defaultMode,
    queue,
    makeSmtp: () =>
      new SmtpGeneratedSink(
        { host: config.generatedSmtpHost, port: config.generatedSmtpPort, heloName: config.hostname },
        opts.logger,
      ),
  });
  return {
    backendId: config.backendId,
    directory: storage.directory,
    leases: storage.leases,
    mailboxes: storage.mailboxes,
    clock: opts.clock,
    logger: opts.logger,
    leaseTtlMs: config.leaseTtlMs,
    leaseCache: new LeaseCache(),
    history,
    counters: storage.counters,
    rules: {
      store: storage.rules,
      autoReplies: storage.autoReplies,
      counters: storage.counters,
      sink,
      srsSecret: opts.srsSecret,
      generatedPerHour: config.rulesGeneratedPerHour,
      receivedLimit: config.rulesHopLimit,
    },
    async close() {
      await (sink.smtpSink as { close?(): void | Promise<void> } | undefined)?.close?.();
      await history.close();
    },
  };
}

/**
 * Builds the backend's delivery dependencies from storage and config, shared by the LMTP backend
 * process and the backend Lambda: leases (cached per process), rules with their generated-mail
 * sink (back to the shared queue through the cluster rules, or over SMTP to the frontends, which
 * run them at intake), counters, SRS secret, and the message-history recorder (flushed by
 * `close()`; the Lambda flushes it after every invoke).
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
import { HistoryRecorder } from '../core/util/history-recorder.ts';

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
  const smtpSink =
    config.generatedMail === 'smtp'
      ? new SmtpGeneratedSink(
          { host: config.generatedSmtpHost, port: config.generatedSmtpPort, heloName: config.hostname },
          opts.logger,
        )
      : undefined;
  const sink =
    smtpSink ??
    queueSink({
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
      await smtpSink?.close?.();
      await history.close();
    },
  };
}

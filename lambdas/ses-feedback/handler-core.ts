/**
 * The SES feedback Lambda's per-invocation logic: each SNS record's message (an SES bounce or
 * complaint event) goes to core/queue/ses-feedback.ts; each outcome is logged
 * (`ses.feedback_recorded` with the suppressed addresses and the DSN's queueId, or
 * `ses.feedback_ignored` with why). Failure: a storage fault rejects the invocation, so SNS's
 * asynchronous invocation retries it (a repeated event changes nothing: suppressions are
 * overwritten, the DSN id is derived from the feedback id).
 */
import type { SNSEvent } from 'aws-lambda';
import type { Logger } from '../../core/ports/logger.ts';
import { handleSesFeedback, type SesFeedbackDeps } from '../../core/queue/ses-feedback.ts';

export function createSesFeedbackHandler(deps: SesFeedbackDeps & { readonly logger: Logger }) {
  return async (event: SNSEvent): Promise<{ recorded: number; ignored: number }> => {
    let recorded = 0;
    let ignored = 0;
    for (const record of event.Records ?? []) {
      const result = await handleSesFeedback(deps, record.Sns?.Message ?? '');
      if (result.kind === 'ignored') {
        ignored++;
        deps.logger.info({
          event: 'ses.feedback_ignored',
          snsMessageId: record.Sns?.MessageId,
          why: result.why,
        });
        continue;
      }
      recorded++;
      deps.logger.info({
        event: 'ses.feedback_recorded',
        snsMessageId: record.Sns?.MessageId,
        suppressed: result.suppressed,
        ...(result.dsnQueueId ? { queueId: result.dsnQueueId } : {}),
      });
    }
    return { recorded, ignored };
  };
}

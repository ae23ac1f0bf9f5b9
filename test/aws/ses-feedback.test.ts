/**
 * The SES bounce/complaint consumer on the AWS adapters (DynamoDB suppressions and directory, S3
 * spool, SQS queue on the emulators), fed the SNS message bodies SES event publishing sends
 * (the documented Bounce and Complaint shapes): a permanent bounce suppresses the recipient and
 * queues a failure DSN to the local sender, once even when SNS delivers the event twice; a
 * complaint suppresses without a DSN; a transient bounce only reports; other events and bodies
 * are ignored; mail from the bounce address gets no DSN.
 */
import { text } from 'node:stream/consumers';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/ports/clock.ts';
import type { LogFields, Logger } from '../../core/ports/logger.ts';
import { handleSesFeedback, type SesFeedbackDeps } from '../../core/queue/ses-feedback.ts';
import { createSesFeedbackHandler } from '../../lambdas/ses-feedback/handler-core.ts';
import { type AwsMode, createAwsMode } from './aws-mode.ts';

let aws: AwsMode;
let deps: SesFeedbackDeps;
beforeAll(async () => {
  aws = await createAwsMode();
  await aws.storage.directory.addDomain({
    name: 'ours.test',
    mailToUnknown: { action: 'reject' },
    defaults: {},
    createdAt: 1,
  });
  deps = {
    suppressions: aws.storage.suppressions,
    directory: aws.storage.directory,
    queue: aws.storage.queue,
    messages: aws.storage.messages,
    clock: systemClock,
    hostname: 'mx.ours.test',
    bounceAddress: 'bounces@ours.test',
  };
}, 60_000);
afterAll(() => aws?.storage.close());

const mail = (source: string, to: string) => ({
  timestamp: '2026-12-02T10:00:00.000Z',
  source,
  sourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/ours.test',
  sendingAccountId: '123456789012',
  messageId: '0102018c1a2b3c4d-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9-000000',
  destination: [to],
  headersTruncated: false,
  headers: [
    { name: 'From', value: `Bob <${source}>` },
    { name: 'To', value: to },
    { name: 'Subject', value: 'Quarterly report' },
    { name: 'Message-ID', value: '<abc@ours.test>' },
  ],
  commonHeaders: {
    from: [`Bob <${source}>`],
    to: [to],
    messageId: '<abc@ours.test>',
    subject: 'Quarterly report',
  },
  tags: { 'ses:configuration-set': ['strato'] },
});

const permanentBounce = (source: string, to: string, feedbackId: string) =>
  JSON.stringify({
    eventType: 'Bounce',
    bounce: {
      feedbackId,
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [
        {
          emailAddress: to,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 user unknown',
        },
      ],
      timestamp: '2026-12-02T10:00:02.000Z',
      reportingMTA: 'dns; a1-23.smtp-out.eu-west-1.amazonses.com',
      remoteMtaIp: '192.0.2.10',
    },
    mail: mail(source, to),
  });

describe('SES feedback consumer on the AWS adapters', () => {
  it('suppresses a permanently bounced address and queues one failure DSN to the local sender', async () => {
    const event = permanentBounce('Bob <bob@ours.test>', 'Gone@Example.net', '0102018c-feedback-1');
    const first = await handleSesFeedback(deps, event);
    expect(first).toMatchObject({ kind: 'recorded', suppressed: ['gone@example.net'] });
    const id = first.kind === 'recorded' ? first.dsnQueueId : undefined;
    expect(id).toMatch(/^[0-9A-Z]{20}$/);
    expect(await aws.storage.suppressions.get('gone@example.net')).toEqual({
      address: 'gone@example.net',
      reason: 'bounce',
      at: Date.parse('2026-12-02T10:00:02.000Z'),
      detail: 'General: smtp; 550 5.1.1 user unknown',
    });
    // SNS delivers at least once: the same event again derives the same id, which the queue keeps once.
    const again = await handleSesFeedback(deps, event);
    expect(again).toMatchObject({ kind: 'recorded', dsnQueueId: id });
    const leased = [];
    for (let i = 0; i < 5 && leased.length < 2; i++) {
      leased.push(...(await aws.storage.queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 500 })));
    }
    const dsns = leased.filter((l) => l.job.id === id);
    expect(dsns).toHaveLength(1);
    const job = dsns[0]!.job;
    expect(job).toMatchObject({
      source: 'DSN',
      envelope: { mailFrom: '', recipients: [{ address: 'bob@ours.test', notify: ['NEVER'] }] },
    });
    const dsn = await text(await aws.storage.messages.open(job.body));
    expect(dsn).toContain('To: <bob@ours.test>');
    expect(dsn).toContain('Content-Type: multipart/report; report-type=delivery-status');
    expect(dsn).toMatch(/Final-Recipient: rfc822; ?gone@example\.net/i);
    expect(dsn).toContain('Action: failed');
    expect(dsn).toContain('Status: 5.1.1');
    expect(dsn).toContain('Remote-MTA: dns; a1-23.smtp-out.eu-west-1.amazonses.com');
    expect(dsn).toMatch(/Diagnostic-Code: smtp; 550 5\.1\.1 user unknown/);
    expect(dsn).toContain('Subject: Quarterly report');
    for (const l of leased) await aws.storage.queue.ack(l.receipt);
  });

  it('suppresses a complaining address without a DSN', async () => {
    const event = JSON.stringify({
      eventType: 'Complaint',
      complaint: {
        feedbackId: '0102018c-feedback-2',
        complaintSubType: null,
        complainedRecipients: [{ emailAddress: 'angry@example.org' }],
        timestamp: '2026-12-02T11:00:00.000Z',
        userAgent: 'Mozilla/5.0',
        complaintFeedbackType: 'abuse',
        arrivalDate: '2026-12-02T10:59:00.000Z',
      },
      mail: mail('bob@ours.test', 'angry@example.org'),
    });
    expect(await handleSesFeedback(deps, event)).toEqual({
      kind: 'recorded',
      suppressed: ['angry@example.org'],
    });
    expect(await aws.storage.suppressions.get('ANGRY@example.org')).toMatchObject({
      reason: 'complaint',
      detail: expect.stringContaining('abuse'),
    });
  });

  it('reports a transient bounce without suppressing, and sends no DSN to the bounce address or outsiders', async () => {
    const transient = JSON.parse(permanentBounce('bob@ours.test', 'full@example.net', 'fb-3'));
    transient.bounce.bounceType = 'Transient';
    transient.bounce.bounceSubType = 'MailboxFull';
    const out = await handleSesFeedback(deps, JSON.stringify(transient));
    expect(out).toMatchObject({ kind: 'recorded', suppressed: [], dsnQueueId: expect.any(String) });
    expect(await aws.storage.suppressions.get('full@example.net')).toBeUndefined();
    for (const source of ['bounces@ours.test', 'someone@elsewhere.example']) {
      const r = await handleSesFeedback(
        deps,
        permanentBounce(source, `x-${source.replace('@', '.')}@example.net`, `fb-${source}`),
      );
      expect(r).toMatchObject({ kind: 'recorded' });
      expect(r.kind === 'recorded' && r.dsnQueueId).toBeFalsy();
    }
  });

  it('ignores other events and bodies that are not SES events', async () => {
    expect(
      await handleSesFeedback(
        deps,
        JSON.stringify({ eventType: 'Delivery', mail: mail('bob@ours.test', 'a@b.c') }),
      ),
    ).toEqual({
      kind: 'ignored',
      why: 'event type Delivery',
    });
    expect(await handleSesFeedback(deps, 'not json')).toEqual({ kind: 'ignored', why: 'not JSON' });
    expect(await handleSesFeedback(deps, '{"Type":"SubscriptionConfirmation"}')).toMatchObject({
      kind: 'ignored',
    });
  });

  it('the Lambda handler takes the SNS event SES publishes to and logs each outcome', async () => {
    const lines: LogFields[] = [];
    const logger: Logger = {
      debug() {},
      info: (f) => void lines.push(f),
      warn() {},
      error() {},
      child: () => logger,
    };
    const handle = createSesFeedbackHandler({ ...deps, logger });
    const record = (id: string, message: string) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:eu-west-1:123456789012:ses-feedback:1',
      Sns: {
        Type: 'Notification',
        MessageId: id,
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-feedback',
        Subject: null,
        Message: message,
        Timestamp: '2026-12-02T10:00:03.000Z',
        SignatureVersion: '1',
        Signature: 'x',
        SigningCertUrl: 'https://sns.example/cert.pem',
        UnsubscribeUrl: 'https://sns.example/unsub',
        MessageAttributes: {},
      },
    });
    const event = {
      Records: [
        record('sns-1', permanentBounce('bob@ours.test', 'lambda-gone@example.net', 'fb-lambda')),
        record('sns-2', '{"eventType":"Open"}'),
      ],
    } as unknown as SNSEvent;
    expect(await handle(event)).toEqual({ recorded: 1, ignored: 1 });
    expect(await aws.storage.suppressions.get('lambda-gone@example.net')).toMatchObject({ reason: 'bounce' });
    expect(lines).toEqual([
      expect.objectContaining({
        event: 'ses.feedback_recorded',
        snsMessageId: 'sns-1',
        suppressed: ['lambda-gone@example.net'],
        queueId: expect.stringMatching(/^[0-9A-Z]{20}$/),
      }),
      expect.objectContaining({ event: 'ses.feedback_ignored', snsMessageId: 'sns-2' }),
    ]);
  });
});

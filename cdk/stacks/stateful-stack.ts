/** Stateful resources (tables, buckets, queue, SRS and channel secrets): deployed once, kept across service changes. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import { ClusterSecret } from '../constructs/cluster-secret.ts';
import { MailQueue } from '../constructs/mail-queue.ts';
import { MailStorage } from '../constructs/mail-storage.ts';

export class StatefulStack extends Stack {
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly srs: ClusterSecret;
  readonly channel: ClusterSecret;

  constructor(scope: Construct, id: string, config: StageConfig, props?: StackProps) {
    super(scope, id, props);
    this.storage = new MailStorage(this, 'Storage', { retainData: config.retainData, stage: config.stage });
    this.queue = new MailQueue(this, 'MailQueue', {
      retainData: config.retainData,
      maxReceiveCount: config.queue.maxReceiveCount,
      visibilitySeconds: config.queue.visibilitySeconds,
    });
    this.srs = new ClusterSecret(this, 'Srs', {
      retainData: config.retainData,
      description: 'Strato SRS secret (shared by frontends and backends)',
      rotation:
        'Rotating the SRS secret invalidates every SRS address already sent out (bounces to forwarded mail ' +
        'would be refused); it is rotated by hand, and the processes read it only at start',
    });
    this.channel = new ClusterSecret(this, 'Channel', {
      retainData: config.retainData,
      description: 'Strato delivery-channel secret (queue processors authenticate to LMTP backends)',
      rotation:
        'The processes read the channel secret only at start: it is rotated by hand with a redeploy of ' +
        'frontends and backends (until both run, deliveries between old and new tasks retry, nothing is lost)',
    });
    // The CLI's environment (STRATO_STORAGE=aws plus these), one output per variable.
    const env = { ...this.storage.environment(), ...this.queue.environment() };
    for (const [name, value] of Object.entries(env)) {
      if (name === ENV.maxReceiveCount) continue;
      new CfnOutput(this, name.replace(/[^A-Za-z0-9]/g, ''), { value, description: name });
    }
  }
}

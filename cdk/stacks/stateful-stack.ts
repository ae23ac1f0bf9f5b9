/** Stateful resources (tables, buckets, queue, SRS and channel secrets): deployed once, kept across service changes. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import { ChannelSecret } from '../constructs/channel-secret.ts';
import { MailQueue } from '../constructs/mail-queue.ts';
import { MailStorage } from '../constructs/mail-storage.ts';
import { SrsSecret } from '../constructs/srs-secret.ts';

export class StatefulStack extends Stack {
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly srs: SrsSecret;
  readonly channel: ChannelSecret;

  constructor(scope: Construct, id: string, config: StageConfig, props?: StackProps) {
    super(scope, id, props);
    this.storage = new MailStorage(this, 'Storage', { retainData: config.retainData, stage: config.stage });
    this.queue = new MailQueue(this, 'MailQueue', {
      retainData: config.retainData,
      maxReceiveCount: config.queue.maxReceiveCount,
      visibilitySeconds: config.queue.visibilitySeconds,
    });
    this.srs = new SrsSecret(this, 'Srs', { retainData: config.retainData });
    this.channel = new ChannelSecret(this, 'Channel', { retainData: config.retainData });
    // The CLI's environment (STRATO_STORAGE=aws plus these), one output per variable.
    const env = { ...this.storage.environment(), ...this.queue.environment() };
    for (const [name, value] of Object.entries(env)) {
      if (name === ENV.maxReceiveCount) continue;
      new CfnOutput(this, name.replace(/[^A-Za-z0-9]/g, ''), { value, description: name });
    }
  }
}

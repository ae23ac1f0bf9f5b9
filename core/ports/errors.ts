/**
 * Errors the storage ports raise for conditions callers handle. Anything else an adapter throws
 * is a storage fault: callers treat it as temporary (retry, or 451 at SMTP).
 */

export class PortError extends Error {
  override readonly name: string = 'PortError';
}

/** A delay outside 0..MAX_DELAY_SECONDS was asked of a MailQueue. */
export class QueueDelayError extends PortError {
  override readonly name = 'QueueDelayError';
  constructor(readonly delaySeconds: number) {
    super(`queue delay ${delaySeconds}s is outside 0..900s; chain longer waits with job.notBefore`);
  }
}

/** The receipt no longer holds the job's lease (it expired and the job was received again). */
export class LeaseLostError extends PortError {
  override readonly name = 'LeaseLostError';
  constructor(readonly receipt: string) {
    super('queue lease lost: the job became visible again and may be processed elsewhere');
  }
}

/** The queue holds as many messages as the operator allows (the cluster model's queue cap). */
export class QueueFullError extends PortError {
  override readonly name = 'QueueFullError';
  constructor(readonly limit: number) {
    super(`queue is full (${limit} messages)`);
  }
}

export class MessageNotFoundError extends PortError {
  override readonly name = 'MessageNotFoundError';
  constructor(readonly key: string) {
    super(`message body ${key} not found`);
  }
}

/** A mailbox write carried an older lease epoch than the store has seen for the account. */
export class StaleEpochError extends PortError {
  override readonly name = 'StaleEpochError';
  constructor(
    readonly account: string,
    readonly epoch: number,
    readonly current: number,
  ) {
    super(`write to ${account} with lease epoch ${epoch} refused: epoch ${current} has been seen`);
  }
}

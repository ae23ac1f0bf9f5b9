/**
 * Counts AWS requests by service and operation with SDK middleware, so the benchmark can report
 * requests per delivered message (the cost driver on AWS). Each HTTP attempt counts, retries
 * included (the middleware sits inside the SDK's retry loop). Counting never fails a request.
 */

export interface RequestCounts {
  readonly total: number;
  /** "SQS.SendMessageBatch" → count. */
  readonly byOperation: Readonly<Record<string, number>>;
}

/** The part of an SDK v3 client's middleware stack the counter uses. */
interface CountingStack {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: unknown) => Promise<unknown>,
    options: { step: 'finalizeRequest'; priority: 'low'; name: string; override?: boolean },
  ): void;
}

const SERVICE_NAMES: Record<string, string> = {
  SQSClient: 'SQS',
  S3Client: 'S3',
  DynamoDBClient: 'DynamoDB',
  SESv2Client: 'SES',
  LambdaClient: 'Lambda',
};

export class RequestCounter {
  private readonly counts = new Map<string, number>();

  /** Count every request `client` sends from now on. */
  attach(client: { middlewareStack: object }): void {
    (client.middlewareStack as CountingStack).add(
      (next, context) => async (args) => {
        const service = SERVICE_NAMES[context.clientName ?? ''] ?? context.clientName ?? 'AWS';
        const op = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'stratoRequestCounter', override: true },
    );
  }

  snapshot(): RequestCounts {
    const byOperation = Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return { total: [...this.counts.values()].reduce((a, b) => a + b, 0), byOperation };
  }

  reset(): void {
    this.counts.clear();
  }
}

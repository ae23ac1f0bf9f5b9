/**
 * Groups single SQS operations made in the same event-loop turn into batch requests
 * (SendMessageBatch, DeleteMessageBatch: at most 10 entries and a byte budget per request), so
 * concurrent enqueues and acks cost one request per ten; a batcher may also linger a moment for
 * more entries (the deletes do). Failure: a batch request that fails
 * rejects each of its entries; entries SQS reports as failed reject alone, after `retries` more
 * tries when SQS says the fault was its own.
 */

export interface BatchEntryResult<R> {
  readonly ok: boolean;
  readonly value?: R;
  readonly error?: Error;
  /** SQS's SenderFault: retrying the same entry cannot help. */
  readonly senderFault?: boolean;
}

export interface TickBatcherOptions<T> {
  readonly maxEntries: number;
  /** Budget of summed `sizeOf` per request. */
  readonly maxBytes?: number;
  readonly sizeOf?: (item: T) => number;
  /** Extra tries for entries that failed through no fault of the sender. */
  readonly retries?: number;
  /**
   * Wait this long for more entries before sending (a full batch goes at once); 0 (default) sends
   * what the current event-loop turn added.
   */
  readonly lingerMs?: number;
}

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (value: R) => void;
  readonly reject: (err: unknown) => void;
  tries: number;
}

export class TickBatcher<T, R> {
  /** Requests sent (tests and benchmarks read it). */
  requests = 0;
  private pending: Pending<T, R>[] = [];
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sendBatch: (items: readonly T[]) => Promise<BatchEntryResult<R>[]>,
    private readonly opts: TickBatcherOptions<T>,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject, tries: 0 });
      const linger = this.opts.lingerMs ?? 0;
      if (linger > 0 && this.pending.length >= this.opts.maxEntries) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: every caller of this loop turn joins the batch.
        if (linger > 0) this.timer = setTimeout(() => this.flush(), linger);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once everything added so far has been answered. */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    this.timer = undefined;
    const all = this.pending;
    this.pending = [];
    for (const chunk of this.chunks(all)) {
      const p = this.sendChunk(chunk).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private chunks(all: Pending<T, R>[]): Pending<T, R>[][] {
    const out: Pending<T, R>[][] = [];
    let cur: Pending<T, R>[] = [];
    let bytes = 0;
    for (const p of all) {
      const size = this.opts.sizeOf?.(p.item) ?? 0;
      const full =
        cur.length >= this.opts.maxEntries ||
        (this.opts.maxBytes !== undefined && cur.length > 0 && bytes + size > this.opts.maxBytes);
      if (full) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(p);
      bytes += size;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  private async sendChunk(chunk: Pending<T, R>[]): Promise<void> {
    let results: BatchEntryResult<R>[];
    try {
      this.requests++;
      results = await this.sendBatch(chunk.map((p) => p.item));
    } catch (err) {
      for (const p of chunk) p.reject(err);
      return;
    }
    const retry: Pending<T, R>[] = [];
    chunk.forEach((p, i) => {
      const r = results[i];
      if (r?.ok) p.resolve(r.value as R);
      else if (r && !r.senderFault && p.tries < (this.opts.retries ?? 2)) {
        p.tries++;
        retry.push(p);
      } else p.reject(r?.error ?? new Error('SQS batch entry without a result'));
    });
    if (retry.length > 0) await this.sendChunk(retry);
  }
}

/**
 * Counters port: fixed-window counters shared by the whole cluster, for sender limits
 * (MailOutFlow), inbound flow control (MailInpFlow) and generated-mail limits.
 * A window is [floor(now / windowSeconds) * windowSeconds, +windowSeconds); old windows may be
 * dropped by the store (TTL) any time after they end.
 */

export interface ConsumeResult {
  /** True when the amount was counted (the limit was not exceeded). */
  readonly allowed: boolean;
  /** The window's count after the call (unchanged when not allowed). */
  readonly count: number;
  /** ms since epoch when the current window ends. */
  readonly resetAt: number;
}

export interface Counters {
  /** Atomically add `amount` unless that would take the window's count above `limit`. */
  tryConsume(key: string, windowSeconds: number, limit: number, amount?: number): Promise<ConsumeResult>;
  /** Atomically add `amount` with no limit; resolves to the new count. */
  add(key: string, windowSeconds: number, amount?: number): Promise<number>;
  /** The current window's count. */
  peek(key: string, windowSeconds: number): Promise<number>;
}

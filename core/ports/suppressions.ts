/**
 * Suppressions: external addresses the cluster no longer sends to because SES reported a
 * permanent bounce or a complaint for them. The SES event consumer records them; the intake
 * refuses them at RCPT for local (authenticated) senders; operators list and remove them
 * (`strato suppression`). Addresses are stored lower case. Failure: storage faults propagate.
 */

export type SuppressionReason = 'bounce' | 'complaint';

export interface Suppression {
  /** The address, lower case. */
  readonly address: string;
  readonly reason: SuppressionReason;
  /** ms since epoch of the event that caused it (the latest one when recorded again). */
  readonly at: number;
  /** What SES said (bounce subtype and diagnostic, complaint feedback type); one line. */
  readonly detail?: string;
}

export interface SuppressionsReader {
  /** The suppression of an address, or undefined. */
  get(address: string): Promise<Suppression | undefined>;
}

export interface Suppressions extends SuppressionsReader {
  /** Record (or overwrite with the newer event) the suppression of an address. */
  put(suppression: Suppression): Promise<void>;
  /** Every suppression, sorted by address. */
  list(): Promise<Suppression[]>;
  /** Remove one; false when there was none. */
  remove(address: string): Promise<boolean>;
}

export const normaliseSuppressed = (address: string): string => address.trim().toLowerCase();

/**
 * The backend Lambda's logic, separate from its wiring so tests can give it emulator-backed
 * ports: it validates the event against the wire schema (adapters/aws/lambda-wire.ts), runs the
 * same core delivery use case as the LMTP backend, reading the body by reference from the
 * MessageStore, and answers one outcome per recipient (account facts as a typed field). Each
 * execution environment is its own lease owner (lambdaOwnerId) and holds an account's lease only
 * for the invocation that delivers to it: a concurrent invocation elsewhere gets "open elsewhere". A storage
 * fault for one recipient is a temporary outcome; a malformed event is rejected before anything
 * is read or stored, with an Error naming every problem (the invoke reports a function error).
 */

import { randomBytes } from 'node:crypto';
import { type DeliveryInvocationResult, parseDeliveryInvocation } from '../../adapters/aws/lambda-wire.ts';
import { type DeliverDeps, deliverToAccounts } from '../../core/delivery/deliver-to-accounts.ts';
import type { MessageStore } from '../../core/ports/message-store.ts';

/**
 * The lease owner of one execution environment, made once per cold start: environments exclude
 * each other (a shared owner would let two of them hold one account at once).
 */
export function lambdaOwnerId(): string {
  return `lambda:${randomBytes(6).toString('hex')}`;
}

/** Each invocation takes its accounts' leases for itself and releases them when it is done. */
export function createBackendHandler(deps: DeliverDeps & { messages: MessageStore }) {
  const perCall: DeliverDeps = { ...deps, leasePerCall: true };
  return async (input: unknown): Promise<DeliveryInvocationResult> => {
    const event = parseDeliveryInvocation(input);
    const outcomes = await deliverToAccounts(perCall, {
      deliveryId: event.deliveryId,
      mailFrom: event.mailFrom,
      recipients: event.recipients,
      size: event.body.size,
      ...(event.source ? { source: event.source } : {}),
      openBody: () => deps.messages.open(event.body),
    });
    // A frozen execution environment writes nothing: the history goes out before the answer.
    await deps.history?.flush();
    return {
      outcomes: event.recipients.map((recipient) => ({ recipient, outcome: outcomes.get(recipient)! })),
    };
  };
}

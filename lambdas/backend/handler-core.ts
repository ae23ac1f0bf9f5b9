/**
 * The backend Lambda's logic, separate from its wiring so tests can give it emulator-backed
 * ports: it runs the same core delivery use case as the LMTP backend, reading the body by
 * reference from the MessageStore, and answers one outcome per recipient. A storage fault for
 * one recipient is a temporary outcome; a malformed event throws (the invoke reports an error).
 */
import { type DeliverDeps, deliverToAccounts } from '../../core/delivery/deliver-to-accounts.ts';
import type { DeliveryInvocation, DeliveryInvocationResult } from '../../core/ports/delivery-channel.ts';
import type { MessageStore } from '../../core/ports/message-store.ts';

export function createBackendHandler(deps: DeliverDeps & { messages: MessageStore }) {
  return async (event: DeliveryInvocation): Promise<DeliveryInvocationResult> => {
    if (
      !event ||
      typeof event.deliveryId !== 'string' ||
      !Array.isArray(event.recipients) ||
      !event.body?.key
    ) {
      throw new Error('invalid delivery invocation: deliveryId, recipients and body are required');
    }
    const outcomes = await deliverToAccounts(deps, {
      deliveryId: event.deliveryId,
      mailFrom: event.mailFrom ?? '',
      recipients: event.recipients,
      size: event.body.size,
      ...(event.source ? { source: event.source } : {}),
      openBody: () => deps.messages.open(event.body),
    });
    return {
      outcomes: event.recipients.map((recipient) => ({ recipient, outcome: outcomes.get(recipient)! })),
    };
  };
}

/**
 * A DeliveryChannel that picks the transport by the backend's kind: LMTP for process backends
 * (Fargate, `npm start`), Lambda Invoke for Lambda backends. A kind with no channel configured
 * answers `temporary` for every recipient, never throws.
 */
import { type RecipientOutcome, temporary } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import type { DeliveryChannel, DeliveryRequest } from '../../core/ports/delivery-channel.ts';

export class RoutingChannel implements DeliveryChannel {
  constructor(private readonly byKind: Partial<Record<BackendInfo['kind'], DeliveryChannel>>) {}

  async deliver(backend: BackendInfo, req: DeliveryRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const channel = this.byKind[backend.kind];
    if (channel) return channel.deliver(backend, req);
    const reply = replies.backendUnreachable(backend.id, `no ${backend.kind} delivery channel configured`);
    return new Map(req.recipients.map((r) => [r, temporary(reply)]));
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.byKind).map((c) => c?.close?.()));
  }
}

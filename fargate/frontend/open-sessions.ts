/**
 * This frontend's SMTP sessions in the cluster-wide ClientSessions store: `open` records a
 * session and answers how many sessions its client address has on all frontends together;
 * `close` forgets it; a timer refreshes every open session each third of the entry TTL, so a
 * killed frontend's sessions expire within CLIENT_SESSION_TTL_MS. A session closed before its
 * open finished is removed again once the open lands. Failure: open/close faults reach the
 * caller (the connect stage lets the client in); refresh faults are logged and retried next round.
 */
import { CLIENT_SESSION_TTL_MS } from '../../core/config/defaults.ts';
import type { ClientSessionRef, ClientSessions } from '../../core/ports/client-sessions.ts';
import type { Logger } from '../../core/ports/logger.ts';

export class OpenSessions {
  private readonly live = new Map<string, ClientSessionRef>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ClientSessions,
    private readonly logger: Logger,
    private readonly ttlMs = CLIENT_SESSION_TTL_MS,
  ) {}

  async open(ip: string, sessionKey: string): Promise<number> {
    this.live.set(sessionKey, { ip, sessionKey });
    const count = await this.store.open(ip, sessionKey, this.ttlMs);
    // Closed while the open was in flight: the close found nothing to delete yet.
    if (!this.live.has(sessionKey)) await this.store.close(ip, sessionKey);
    return count;
  }

  async close(ip: string, sessionKey: string): Promise<void> {
    if (!this.live.delete(sessionKey)) return;
    await this.store.close(ip, sessionKey);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), Math.max(1000, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refresh(): Promise<void> {
    try {
      await this.store.refresh([...this.live.values()], this.ttlMs);
    } catch (err) {
      this.logger.warn({ event: 'smtp.client_sessions_refresh_failed', sessions: this.live.size, err });
    }
  }
}

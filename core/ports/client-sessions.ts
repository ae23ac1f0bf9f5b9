/**
 * ClientSessions port: the SMTP sessions open now from each client address, across every frontend
 * of the cluster (a gauge, not a window counter), for the concurrent-sessions-per-address cap.
 * An entry lives until `expiresAt` (the clock's ms) unless refreshed: a frontend that is killed
 * stops refreshing, so its sessions vanish on their own. Keys are unique per session (the frontend
 * id and smtp-server's session id). Failure: store faults propagate (callers decide; the frontend
 * lets the session in rather than refuse everyone on a storage fault).
 */

export interface ClientSessionRef {
  readonly ip: string;
  readonly sessionKey: string;
}

export interface ClientSessions {
  /**
   * Record session `sessionKey` from `ip`, live for `ttlMs` from now; resolves to the number of
   * live sessions from `ip` with this one included. Opening a key again refreshes it.
   */
  open(ip: string, sessionKey: string, ttlMs: number): Promise<number>;
  /** Keep these sessions live for `ttlMs` more; entries already gone are not recreated. */
  refresh(sessions: readonly ClientSessionRef[], ttlMs: number): Promise<void>;
  /** Forget a session (a no-op when it is unknown or expired). */
  close(ip: string, sessionKey: string): Promise<void>;
  /** Live sessions from `ip` now. */
  count(ip: string): Promise<number>;
}

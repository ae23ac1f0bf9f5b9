/**
 * BackendRegistry port: backends announce themselves with heartbeats so queue processors know
 * which are alive and where to reach them. A backend is live while its heartbeat is younger than
 * the TTL it gave; a dead one simply stops appearing (no explicit failure detection needed).
 */

export interface BackendInfo {
  /** Stable id, also the AccountLeases owner name. */
  readonly id: string;
  /** "host:port" for LMTP backends, a function name/ARN for Lambda backends. */
  readonly address: string;
  readonly kind: 'lmtp' | 'lambda';
  /** ms since epoch after which the backend is considered dead unless it beats again. */
  readonly expiresAt: number;
  /** Accounts whose lease the backend holds in its cache now (absent from older heartbeats). */
  readonly accountsOpen?: number;
  /** ms since epoch the backend process started. */
  readonly startedAt?: number;
  /** The backend's program version (package.json). */
  readonly version?: string;
}

export interface BackendRegistry {
  /** Register or refresh a backend (upsert), live for `ttlMs` from now. */
  heartbeat(info: Omit<BackendInfo, 'expiresAt'>, ttlMs: number): Promise<void>;
  /** Remove a backend at once (clean shutdown). */
  deregister(id: string): Promise<void>;
  /** Live backends (expiresAt in the future), sorted by id. */
  listLive(): Promise<BackendInfo[]>;
  /** Every registered backend, live or not (static mode pins accounts over this list). */
  listAll(): Promise<BackendInfo[]>;
}

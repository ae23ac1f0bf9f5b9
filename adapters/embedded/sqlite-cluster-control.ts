/**
 * ClusterControl on SQLite (directory.db, shared by every process of the machine): the
 * queue-processing settings as one JSON row, changed in an IMMEDIATE transaction (read, patch,
 * validate, write), and one row per frontend heartbeat with its expiry judged by the injected
 * clock. Heartbeats of frontends gone longer than FRONTEND_FORGET_MS are deleted by the next
 * heartbeat of any frontend. The outbound routing table is one row per destination (route as
 * JSON), validated before it is written and again when read. Failure: SQLite faults propagate; a stored settings row that no
 * longer validates is reported as a PortError (never acted on).
 */
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import {
  applyQueuePatch,
  type ClusterControl,
  FRONTEND_FORGET_MS,
  type FrontendHeartbeat,
  type FrontendInfo,
  frontendInfoSchema,
  type QueueSettings,
  type QueueSettingsPatch,
  queueSettingsSchema,
  readStoredRoute,
  tooManyRoutes,
  validateDestination,
  validateRouteEntry,
} from '../../core/ports/cluster-control.ts';
import { PortError } from '../../core/ports/errors.ts';
import { MAX_ROUTES, type Route, type RouteEntry } from '../../core/ports/route-table.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE queue_settings (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     json TEXT NOT NULL
   );
   CREATE TABLE frontends (
     id TEXT PRIMARY KEY,
     json TEXT NOT NULL,
     seen_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  `CREATE TABLE outbound_routes (
     destination TEXT PRIMARY KEY,
     json TEXT NOT NULL
   ) WITHOUT ROWID;`,
];

interface FrontendRow {
  json: string;
  seen_at: number;
  expires_at: number;
}

export class SqliteClusterControl implements ClusterControl {
  private readonly clock: Clock;
  private readonly stmt;

  constructor(
    private readonly db: Db,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'cluster-control', MIGRATIONS);
    this.stmt = {
      settings: db.prepare<[], { json: string }>('SELECT json FROM queue_settings WHERE id = 1'),
      putSettings: db.prepare(
        'INSERT INTO queue_settings (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json',
      ),
      beat: db.prepare(
        `INSERT INTO frontends (id, json, seen_at, expires_at) VALUES (@id, @json, @seen, @expires)
         ON CONFLICT(id) DO UPDATE SET json = excluded.json, seen_at = excluded.seen_at,
           expires_at = excluded.expires_at`,
      ),
      forget: db.prepare('DELETE FROM frontends WHERE expires_at < ?'),
      deregister: db.prepare('DELETE FROM frontends WHERE id = ?'),
      since: db.prepare<[number], FrontendRow>('SELECT * FROM frontends WHERE expires_at > ? ORDER BY id'),
      routes: db.prepare<[], { destination: string; json: string }>(
        'SELECT destination, json FROM outbound_routes ORDER BY destination',
      ),
      routeCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbound_routes'),
      hasRoute: db.prepare<[string], { n: number }>(
        'SELECT 1 AS n FROM outbound_routes WHERE destination = ?',
      ),
      putRoute: db.prepare(
        `INSERT INTO outbound_routes (destination, json) VALUES (?, ?)
         ON CONFLICT(destination) DO UPDATE SET json = excluded.json`,
      ),
      removeRoute: db.prepare('DELETE FROM outbound_routes WHERE destination = ?'),
    };
  }

  async getQueueSettings(): Promise<QueueSettings> {
    return this.readSettings();
  }

  async updateQueueSettings(patch: QueueSettingsPatch): Promise<QueueSettings> {
    return writeTx(this.db, () => {
      const next = applyQueuePatch(this.readSettings(), patch);
      this.stmt.putSettings.run(JSON.stringify(next));
      return next;
    });
  }

  async heartbeatFrontend(info: FrontendHeartbeat, ttlMs: number): Promise<void> {
    const parsed = frontendInfoSchema.parse(info);
    const now = this.clock.now();
    writeTx(this.db, () => {
      this.stmt.beat.run({ id: parsed.id, json: JSON.stringify(parsed), seen: now, expires: now + ttlMs });
      this.stmt.forget.run(now - FRONTEND_FORGET_MS);
    });
  }

  async deregisterFrontend(id: string): Promise<void> {
    this.stmt.deregister.run(id);
  }

  async listLiveFrontends(): Promise<FrontendInfo[]> {
    return this.frontendsExpiringAfter(this.clock.now());
  }

  async listRecentFrontends(): Promise<FrontendInfo[]> {
    return this.frontendsExpiringAfter(this.clock.now() - FRONTEND_FORGET_MS);
  }

  async listRoutes(): Promise<RouteEntry[]> {
    return this.stmt.routes
      .all()
      .map((row) => readStoredRoute({ destination: row.destination, route: JSON.parse(row.json) }));
  }

  async setRoute(destination: string, route: Route): Promise<RouteEntry> {
    const entry = validateRouteEntry(destination, route);
    return writeTx(this.db, () => {
      const known = this.stmt.hasRoute.get(entry.destination) !== undefined;
      if (!known && (this.stmt.routeCount.get()?.n ?? 0) >= MAX_ROUTES) throw new PortError(tooManyRoutes());
      this.stmt.putRoute.run(entry.destination, JSON.stringify(entry.route));
      return entry;
    });
  }

  async removeRoute(destination: string): Promise<boolean> {
    return this.stmt.removeRoute.run(validateDestination(destination)).changes > 0;
  }

  private frontendsExpiringAfter(t: number): FrontendInfo[] {
    return this.stmt.since.all(t).flatMap((row) => {
      // A row this version cannot read (written by a newer one) is left out, not fatal.
      const info = frontendInfoSchema.safeParse(JSON.parse(row.json));
      return info.success ? [{ ...info.data, seenAt: row.seen_at, expiresAt: row.expires_at }] : [];
    });
  }

  private readSettings(): QueueSettings {
    const row = this.stmt.settings.get();
    if (!row) return {};
    const parsed = queueSettingsSchema.safeParse(JSON.parse(row.json));
    if (!parsed.success) throw new PortError(`stored queue settings are invalid: ${parsed.error.message}`);
    return parsed.data;
  }
}

/**
 * ClusterControl port: the cluster-wide queue-processing settings an administrator changes while
 * the cluster runs (which frontends process the queue, deliveries at once per frontend, where
 * backends send generated mail, the retry schedule and the message lifetime), and the frontends' heartbeats (what each one is doing now).
 * Settings are validated with zod on write and on read: a stored value that no longer parses is
 * refused with a PortError rather than acted on. An unset field means "the process's environment
 * default applies". A frontend is live while its heartbeat is younger than the TTL it gave.
 */
import { z } from 'zod';
import { PortError } from './errors.ts';
import {
  destinationSchema,
  MAX_ROUTES,
  type Route,
  type RouteEntry,
  routeEntrySchema,
} from './route-table.ts';

/** Frontend ids (`fe-<pid>@<host>`) and group names: letters, digits and . _ : - @ only. */
export const FRONTEND_NAME_PATTERN = /^[A-Za-z0-9._:@-]+$/;
/**
 * Group names are frontend names without `@` (so an id and a group can never be confused);
 * core/config/frontend-config.ts checks STRATO_FRONTEND_GROUP with the same pattern.
 */
export const FRONTEND_GROUP_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** Words the CLI gives a meaning of their own (`default` clears the setting). */
export const RESERVED_NAMES: readonly string[] = ['all', 'none', 'default'];

const frontendName = z
  .string()
  .regex(FRONTEND_NAME_PATTERN, 'letters, digits and . _ : - @ only')
  .refine((n) => !RESERVED_NAMES.includes(n), '"all", "none" and "default" are not names');

/** Which frontends process the queue: every one, none, or those named by id or group. */
export const processingSelectorSchema = z.union([
  z.literal('all'),
  z.literal('none'),
  z.array(frontendName).min(1).max(100),
]);
export type ProcessingSelector = z.output<typeof processingSelectorSchema>;

/** queue: backends enqueue generated mail on the shared queue; forward: they submit it over SMTP to the frontends. */
export const GENERATED_MAIL_MODES = ['queue', 'forward'] as const;
export type GeneratedMailMode = (typeof GENERATED_MAIL_MODES)[number];

/** Longest first retry delay and backoff ceiling (a day), and longest lifetime (30 days). */
export const MAX_RETRY_SECONDS = 24 * 3600;
export const MAX_LIFETIME_SECONDS = 30 * 24 * 3600;

/**
 * The retry backoff: the first delay, doubled per attempt up to the ceiling (core/queue/
 * retry-schedule.ts). Seconds, so tests can compress it; first never above max.
 */
export const retrySettingSchema = z
  .object({
    firstSeconds: z.number().int().min(1).max(MAX_RETRY_SECONDS),
    maxSeconds: z.number().int().min(1).max(MAX_RETRY_SECONDS),
  })
  .refine((r) => r.firstSeconds <= r.maxSeconds, {
    message: 'firstSeconds must not exceed maxSeconds',
    path: ['firstSeconds'],
  });
export type RetrySetting = z.output<typeof retrySettingSchema>;

export const queueSettingsSchema = z.object({
  processing: processingSelectorSchema.optional(),
  concurrency: z.number().int().min(1).max(1000).optional(),
  generatedMail: z.enum(GENERATED_MAIL_MODES).optional(),
  /** Retry schedule of every queue processor (unset: each one's STRATO_RETRY_* environment). */
  retry: retrySettingSchema.optional(),
  /** How long a message may stay queued before pending recipients fail (unset: STRATO_QUEUE_LIFETIME_SECONDS). */
  lifetimeSeconds: z.number().int().min(1).max(MAX_LIFETIME_SECONDS).optional(),
});
export type QueueSettings = z.output<typeof queueSettingsSchema>;
export type QueueSettingName = keyof QueueSettings;

/** A change: a value sets the field, null clears it (the environment default applies again). */
export type QueueSettingsPatch = { readonly [K in QueueSettingName]?: QueueSettings[K] | null };

export const frontendInfoSchema = z.object({
  id: z.string().min(1),
  group: z.string().min(1),
  /** Where it can be reached (host or address), for the operator. */
  address: z.string().default(''),
  /** SMTP sessions open now. */
  sessions: z.number().int().min(0),
  /** Whether its queue processor takes jobs now. */
  processing: z.boolean(),
  jobsInFlight: z.number().int().min(0),
  concurrency: z.number().int().min(0),
  version: z.string(),
  /** ms since epoch. */
  startedAt: z.number(),
});
export type FrontendHeartbeat = z.input<typeof frontendInfoSchema>;

export interface FrontendInfo extends z.output<typeof frontendInfoSchema> {
  /** ms since epoch after which the frontend is considered gone unless it beats again. */
  readonly expiresAt: number;
  /** ms since epoch of its last heartbeat (expiresAt - ttl). */
  readonly seenAt: number;
}

/** How long a gone frontend's last heartbeat is kept (listRecent), then forgotten. */
export const FRONTEND_FORGET_MS = 24 * 3600 * 1000;

export interface ClusterControl {
  /** The stored settings (fields never set are absent). */
  getQueueSettings(): Promise<QueueSettings>;
  /** Apply a validated patch atomically and return the settings as now stored. */
  updateQueueSettings(patch: QueueSettingsPatch): Promise<QueueSettings>;
  /** Register or refresh a frontend (upsert), live for `ttlMs` from now. */
  heartbeatFrontend(info: FrontendHeartbeat, ttlMs: number): Promise<void>;
  /** Remove a frontend at once (clean stop); idempotent. */
  deregisterFrontend(id: string): Promise<void>;
  /** Live frontends (expiresAt in the future), sorted by id. */
  listLiveFrontends(): Promise<FrontendInfo[]>;
  /** Live frontends and those gone less than FRONTEND_FORGET_MS ago, sorted by id. */
  listRecentFrontends(): Promise<FrontendInfo[]>;
  /** The outbound routing table (core/ports/route-table.ts), sorted by destination. */
  listRoutes(): Promise<RouteEntry[]>;
  /**
   * Set (add or replace) the route of one destination, validated first (ZodError: nothing
   * written); a new destination beyond MAX_ROUTES is refused with a PortError. Returns it as stored.
   */
  setRoute(destination: string, route: Route): Promise<RouteEntry>;
  /** Remove a destination's route; false when it had none. */
  removeRoute(destination: string): Promise<boolean>;
}

/** Validate a route entry before it is written (throws a ZodError naming the problem). */
export function validateRouteEntry(destination: string, route: Route): RouteEntry {
  return routeEntrySchema.parse({ destination, route });
}

/** A destination as stored (normalised), or a ZodError naming the problem. */
export function validateDestination(destination: string): string {
  return destinationSchema.parse(destination);
}

/** A stored entry as read back: validated again, a PortError when it no longer parses. */
export function readStoredRoute(raw: { destination: unknown; route: unknown }): RouteEntry {
  const parsed = routeEntrySchema.safeParse(raw);
  if (!parsed.success) {
    throw new PortError(`stored route for ${String(raw.destination)} is invalid: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** The error for a full table (both adapters). */
export const tooManyRoutes = (): string =>
  `the routing table already holds ${MAX_ROUTES} routes (remove one first)`;

/** Validate a patch (a bad one throws a ZodError naming the field); null fields stay null. */
export function validateQueuePatch(patch: QueueSettingsPatch): QueueSettingsPatch {
  const shape = queueSettingsSchema.shape;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in shape)) throw new Error(`unknown queue setting ${key}`);
    out[key] = value === null ? null : shape[key as QueueSettingName].parse(value);
  }
  return out as QueueSettingsPatch;
}

/** Apply a validated patch to stored settings (pure; used by both adapters). */
export function applyQueuePatch(current: QueueSettings, patch: QueueSettingsPatch): QueueSettings {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(validateQueuePatch(patch))) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return queueSettingsSchema.parse(next);
}

/**
 * The cluster's queue-processing settings as the WebAdmin "Queue Processing" panel and
 * `strato cluster show|set` edit them: which frontends process the queue, deliveries at once per
 * frontend, where backends send generated mail, the retry schedule and the message lifetime.
 * `getQueueProcessing` gives each setting's stored value, the value in effect and whether it comes
 * from the cluster setting or the default (each process's environment; the built-in value is
 * shown). `updateQueueProcessing` validates a patch (InvalidInputError naming the field, nothing
 * written), checks that named frontend ids are live or recently seen (a group nothing runs in is
 * accepted with a warning) and returns the new view. Storage faults propagate.
 */
import { DEFAULT_QUEUE_CONCURRENCY, DEFAULT_RETRY } from '../config/defaults.ts';
import { ENV } from '../config/env-names.ts';
import {
  type ClusterControl,
  FRONTEND_GROUP_PATTERN,
  type GeneratedMailMode,
  type ProcessingSelector,
  type QueueSettingName,
  type QueueSettings,
  type QueueSettingsPatch,
  queueSettingsSchema,
  type RetrySetting,
} from '../ports/cluster-control.ts';
import { InvalidInputError } from './errors.ts';

export interface ClusterDeps {
  readonly control: Pick<ClusterControl, 'getQueueSettings' | 'updateQueueSettings' | 'listRecentFrontends'>;
}

/** One setting: as stored (null: unset), as in effect, and where the effective value comes from. */
export interface SettingView<T> {
  readonly value: T | null;
  /** The stored value, else the built-in default (a process's environment may override it). */
  readonly effective: T;
  readonly source: 'cluster' | 'default';
  /** Where an unset value comes from, for the operator. */
  readonly defaultFrom: string;
}

export interface QueueProcessingView {
  readonly processing: SettingView<ProcessingSelector>;
  readonly concurrency: SettingView<number>;
  readonly generatedMail: SettingView<GeneratedMailMode>;
  readonly retry: SettingView<RetrySetting>;
  readonly lifetimeSeconds: SettingView<number>;
}

export interface QueueProcessingUpdate extends QueueProcessingView {
  /** Accepted but worth a look (a group no live or recent frontend is in). */
  readonly warnings: readonly string[];
}

export const QUEUE_SETTING_NAMES: readonly QueueSettingName[] = [
  'processing',
  'concurrency',
  'generatedMail',
  'retry',
  'lifetimeSeconds',
];

const BUILT_IN: { readonly [K in QueueSettingName]-?: NonNullable<QueueSettings[K]> } = {
  processing: 'all',
  concurrency: DEFAULT_QUEUE_CONCURRENCY,
  generatedMail: 'queue',
  retry: { firstSeconds: DEFAULT_RETRY.firstRetrySeconds, maxSeconds: DEFAULT_RETRY.maxRetrySeconds },
  lifetimeSeconds: DEFAULT_RETRY.lifetimeSeconds,
};

/** Where each unset value comes from: each process's own environment. */
export const DEFAULT_FROM: Readonly<Record<QueueSettingName, string>> = {
  processing: `each frontend's ${ENV.queueProcessing} (built-in: all)`,
  concurrency: `each frontend's ${ENV.queueConcurrency} (built-in: ${DEFAULT_QUEUE_CONCURRENCY})`,
  generatedMail: `each backend's ${ENV.generatedMail} (built-in: queue)`,
  retry: `each queue processor's ${ENV.retryFirstSeconds} and ${ENV.retryMaxSeconds} (built-in: ${DEFAULT_RETRY.firstRetrySeconds}s doubling up to ${DEFAULT_RETRY.maxRetrySeconds}s)`,
  lifetimeSeconds: `each queue processor's ${ENV.queueLifetimeSeconds} (built-in: ${DEFAULT_RETRY.lifetimeSeconds}s)`,
};

function settingView<K extends QueueSettingName>(
  settings: QueueSettings,
  key: K,
): SettingView<NonNullable<QueueSettings[K]>> {
  const stored = settings[key] as NonNullable<QueueSettings[K]> | undefined;
  return {
    value: stored ?? null,
    effective: stored ?? (BUILT_IN[key] as NonNullable<QueueSettings[K]>),
    source: stored === undefined ? 'default' : 'cluster',
    defaultFrom: DEFAULT_FROM[key],
  };
}

/** The view of stored settings (pure). */
export function queueProcessingView(settings: QueueSettings): QueueProcessingView {
  return {
    processing: settingView(settings, 'processing'),
    concurrency: settingView(settings, 'concurrency'),
    generatedMail: settingView(settings, 'generatedMail'),
    retry: settingView(settings, 'retry'),
    lifetimeSeconds: settingView(settings, 'lifetimeSeconds'),
  };
}

export async function getQueueProcessing(deps: ClusterDeps): Promise<QueueProcessingView> {
  return queueProcessingView(await deps.control.getQueueSettings());
}

/** Each field validated by the port's schema; the first problem names its field (`retry.firstSeconds`). */
export function validateQueueProcessingPatch(patch: Record<string, unknown>): QueueSettingsPatch {
  const shape = queueSettingsSchema.shape;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (!(QUEUE_SETTING_NAMES as readonly string[]).includes(key))
      throw new InvalidInputError(key, `unknown queue-processing setting "${key}"`);
    if (value === null || value === undefined) {
      if (value === null) out[key] = null;
      continue;
    }
    const parsed = shape[key as QueueSettingName].safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = [key, ...(issue?.path ?? []).map(String)].join('.');
      throw new InvalidInputError(field, `invalid ${field}: ${issue?.message ?? 'invalid value'}`);
    }
    out[key] = parsed.data;
  }
  return out as QueueSettingsPatch;
}

/**
 * Names in a processing list: a frontend id (it contains `@`) must be live or recently seen; a
 * group is accepted before any of its frontends runs, with a warning.
 */
async function checkNames(deps: ClusterDeps, names: readonly string[]): Promise<string[]> {
  const known = await deps.control.listRecentFrontends();
  const ids = new Set(known.map((f) => f.id));
  const groups = new Set(known.map((f) => f.group));
  const warnings: string[] = [];
  for (const name of names) {
    if (FRONTEND_GROUP_PATTERN.test(name)) {
      if (!groups.has(name) && !ids.has(name))
        warnings.push(`no live or recently seen frontend is in group "${name}"`);
    } else if (!ids.has(name)) {
      throw new InvalidInputError(
        'processing',
        `unknown frontend "${name}": no live or recently seen frontend has this id`,
      );
    }
  }
  return warnings;
}

/** Apply a patch (a value sets a field, null clears it) and return the new view. */
export async function updateQueueProcessing(
  deps: ClusterDeps,
  patch: Record<string, unknown>,
): Promise<QueueProcessingUpdate> {
  const valid = validateQueueProcessingPatch(patch);
  const warnings = Array.isArray(valid.processing) ? await checkNames(deps, valid.processing) : [];
  const stored = await deps.control.updateQueueSettings(valid);
  return { ...queueProcessingView(stored), warnings };
}

/**
 * DKIM key use cases shared by the CLI and the admin API: list a domain's keys, generate its
 * first key, rotate (a new key signs, the others retire), remove a retired key. Views carry the
 * DNS TXT record to publish and never the private key. Bad domain, algorithm or selector →
 * InvalidInputError; an unknown domain or selector → NotFoundAdminError; a key state that
 * refuses the change → DkimConflictError (a ConflictError with a `reason` a front end may
 * reword). Nothing changes on a refusal. Storage faults propagate.
 */
import {
  activeDkimKey,
  DKIM_ALGORITHMS,
  defaultSelector,
  dkimRecordName,
  dkimRecordValue,
  generateDkimPrivateKey,
  selectorProblem,
} from '../dkim/dkim-keys.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import type { DkimAlgorithm, DkimKeyRecord } from '../ports/directory.ts';
import type { Storage } from '../ports/storage.ts';
import { requireDomain, validDomain } from './directory-input.ts';
import { ConflictError, InvalidInputError, NotFoundAdminError } from './errors.ts';

export type DkimConflict = 'active-exists' | 'no-active' | 'selector-taken' | 'key-active';

export class DkimConflictError extends ConflictError {
  constructor(
    readonly reason: DkimConflict,
    readonly domain: string,
    /** The selector concerned: the active key's, the taken one or the one to remove. */
    readonly selector: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A key as shown: everything but the private key, with the DNS record to publish. */
export interface DkimKeyView {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly state: 'active' | 'retired';
  readonly createdAt: number;
  readonly record: { readonly name: string; readonly type: 'TXT'; readonly value: string };
}

export function dkimKeyView(key: DkimKeyRecord): DkimKeyView {
  return {
    domain: key.domain,
    selector: key.selector,
    algorithm: key.algorithm,
    state: key.state,
    createdAt: key.createdAt,
    record: { name: dkimRecordName(key), type: 'TXT', value: dkimRecordValue(key) },
  };
}

type Deps = Pick<Storage, 'directory'> & { readonly clock?: Clock };

export interface NewDkimKeyInput {
  readonly domain: string;
  /** rsa (RSA-2048) or ed25519; generate defaults to rsa, rotate keeps the active key's. */
  readonly algorithm?: string;
  /** Default: <algorithm>-<yyyymmdd> (made unique). */
  readonly selector?: string;
}

/** The domain's keys, oldest first. */
export async function listDkimKeys(deps: Deps, input: { readonly domain: string }): Promise<DkimKeyView[]> {
  const domain = validDomain(input.domain, 'domain');
  return (await keysOf(deps, domain)).map(dkimKeyView);
}

/** The domain's first key; it signs at once. */
export async function generateDkimKey(deps: Deps, input: NewDkimKeyInput): Promise<DkimKeyView> {
  const { domain, algorithm, selector } = validKeyInput(input);
  const keys = await keysOf(deps, domain);
  const active = activeDkimKey(keys);
  if (active) {
    throw new DkimConflictError(
      'active-exists',
      domain,
      active.selector,
      `domain ${domain} already has an active DKIM key (selector ${active.selector}); rotate for a new one`,
    );
  }
  const key = newKey(deps, domain, algorithm ?? 'rsa', selector, keys);
  await deps.directory.addDkimKey(key);
  return dkimKeyView(key);
}

/** A new key that signs from now on; the active one retires (its record stays needed a while). */
export async function rotateDkimKey(
  deps: Deps,
  input: NewDkimKeyInput,
): Promise<DkimKeyView & { readonly retired: string }> {
  const { domain, algorithm, selector } = validKeyInput(input);
  const keys = await keysOf(deps, domain);
  const active = activeDkimKey(keys);
  if (!active) {
    throw new DkimConflictError('no-active', domain, undefined, `domain ${domain} has no active DKIM key`);
  }
  const key = newKey(deps, domain, algorithm ?? active.algorithm, selector, keys);
  await deps.directory.addDkimKey(key, { retireOthers: true });
  return { ...dkimKeyView(key), retired: active.selector };
}

/** Removes a retired key (once its TXT record is no longer needed); the active key is refused. */
export async function removeDkimKey(
  deps: Deps,
  input: { readonly domain: string; readonly selector: string },
): Promise<{ domain: string; selector: string; removed: true; record: string }> {
  const domain = validDomain(input.domain, 'domain');
  if (typeof input.selector !== 'string')
    throw new InvalidInputError('selector', 'selector must be a string');
  const selector = input.selector.toLowerCase();
  const key = (await keysOf(deps, domain)).find((k) => k.selector === selector);
  if (!key) {
    throw new NotFoundAdminError(
      'DKIM key',
      selector,
      `domain ${domain} has no DKIM key with selector ${selector}`,
    );
  }
  if (key.state === 'active') {
    throw new DkimConflictError(
      'key-active',
      domain,
      selector,
      `DKIM key ${selector} of ${domain} is the active key; rotate first`,
    );
  }
  await deps.directory.removeDkimKey(domain, selector);
  return { domain, selector, removed: true, record: dkimRecordName(key) };
}

function validKeyInput(input: NewDkimKeyInput) {
  const domain = validDomain(input.domain, 'domain');
  const algorithm =
    input.algorithm === undefined
      ? undefined
      : DKIM_ALGORITHMS.find((a) => a === input.algorithm?.toLowerCase());
  if (input.algorithm !== undefined && !algorithm) {
    throw new InvalidInputError(
      'algorithm',
      `invalid algorithm "${input.algorithm}": expected one of ${DKIM_ALGORITHMS.join(', ')}`,
    );
  }
  const selector = input.selector?.toLowerCase();
  const problem = selector === undefined ? undefined : selectorProblem(selector);
  if (problem) throw new InvalidInputError('selector', `invalid selector "${input.selector}": ${problem}`);
  return { domain, algorithm, selector };
}

async function keysOf(deps: Deps, domain: string): Promise<DkimKeyRecord[]> {
  await requireDomain(deps.directory, domain);
  return deps.directory.dkimKeys(domain);
}

/** A new key record (not stored yet); a selector the domain has is refused. */
function newKey(
  deps: Deps,
  domain: string,
  algorithm: DkimAlgorithm,
  selector: string | undefined,
  taken: readonly DkimKeyRecord[],
): DkimKeyRecord {
  const now = (deps.clock ?? systemClock).now();
  const chosen =
    selector ??
    defaultSelector(
      algorithm,
      now,
      taken.map((k) => k.selector),
    );
  if (taken.some((k) => k.selector === chosen)) {
    throw new DkimConflictError(
      'selector-taken',
      domain,
      chosen,
      `domain ${domain} already has a DKIM key with selector ${chosen}`,
    );
  }
  return {
    domain,
    selector: chosen,
    algorithm,
    privateKeyPem: generateDkimPrivateKey(algorithm),
    createdAt: now,
    state: 'active',
  };
}

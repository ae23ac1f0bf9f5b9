/**
 * Schemas the directory routes share (API and WebAdmin): path parameters naming a domain or an
 * address, settings in the operator grammar, and the check that an address given in a body
 * belongs to the domain of the path (so the domain scope checked is the address's domain).
 * Shapes only: the use cases (core/admin) validate the values and name the field when one is wrong.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../../../core/admin/errors.ts';
import { mayManageDomain } from '../../../../core/admin-access/admin-access.ts';
import { domainOf, parseAddress } from '../../../../core/mail/address.ts';
import type { Principal } from '../access-types.ts';

export const domainParams = z.object({ domain: z.string().min(1).max(253) });
export const addressParams = z.object({ address: z.string().min(3).max(254) });

/** Settings as the CLI takes them: "10M", "100/1h", "unlimited", true; "default" clears one. */
export const settingsSchema = z.record(
  z.string().max(40),
  z.union([z.string().max(1000), z.number(), z.boolean()]),
);

export const listQuery = z.object({
  search: z.string().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(2000).optional(),
});

/** The domain of an address as stored (normalised), or undefined when it does not parse. */
export function addressDomainOf(address: string): string | undefined {
  const parsed = parseAddress(address);
  return parsed.ok ? domainOf(parsed.value.address) : undefined;
}

/**
 * Refuses (400, naming `field`) an address outside the path's domain: a domain administrator of
 * that domain must not reach another domain through a body field. An address that does not parse
 * is left to the use case, which names it.
 */
export function requireInDomain(address: string, domain: string, field: string): void {
  const own = addressDomainOf(address);
  if (own !== undefined && own !== domain.trim().toLowerCase().replace(/\.$/, '')) {
    throw new InvalidInputError(field, `${address} is not in domain ${domain}`);
  }
}

/** Refuses (400 on `field`) an address in a domain the principal does not administer. */
export function requireManagedAddress(principal: Principal, address: string, field: string): void {
  const own = addressDomainOf(address);
  if (own !== undefined && !mayManageDomain(principal, own)) {
    throw new InvalidInputError(field, `you do not administer the domain of ${address}`);
  }
}

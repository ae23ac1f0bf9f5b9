/**
 * Input checks the operations use cases share (leases, queue, trace): an address, a domain and a
 * queue id, each normalised or refused with an InvalidInputError naming the field.
 */
import { parseAddress, parseDomain } from '../mail/address.ts';
import { isQueueId } from '../util/ids.ts';
import { InvalidInputError } from './errors.ts';

export function addressInput(input: string, field = 'address'): string {
  const parsed = parseAddress(input);
  if (!parsed.ok) throw new InvalidInputError(field, `invalid ${field} "${input}": ${parsed.reason}`);
  return parsed.value.address;
}

export function domainInput(input: string, field = 'domain'): string {
  const parsed = parseDomain(input);
  if (!parsed.ok) throw new InvalidInputError(field, `invalid ${field} "${input}": ${parsed.reason}`);
  return parsed.value;
}

/** A queue id as typed (any case). */
export function queueIdInput(input: string, field = 'id'): string {
  const id = input.trim().toUpperCase();
  if (!isQueueId(id))
    throw new InvalidInputError(
      field,
      `invalid queue id "${input}": expected 20 characters such as 01JD0Q5Z8X3V7K2M4N6P`,
    );
  return id;
}

/**
 * Errors of the directory module. Adapters throw these (never store-specific errors) for
 * conditions an operator or client can cause, so the CLI and SMTP layer can word them.
 */

/** What a directory error is about. */
export type DirectoryKind = 'domain' | 'account' | 'alias' | 'forwarder' | 'DKIM key';

export class DirectoryError extends Error {
  override readonly name: string = 'DirectoryError';
}

export class AlreadyExistsError extends DirectoryError {
  override readonly name = 'AlreadyExistsError';
  constructor(
    readonly kind: DirectoryKind,
    readonly key: string,
  ) {
    super(`${kind} ${key} already exists`);
  }
}

export class NotFoundError extends DirectoryError {
  override readonly name = 'NotFoundError';
  constructor(
    readonly kind: DirectoryKind,
    readonly key: string,
  ) {
    super(`${kind} ${key} does not exist`);
  }
}

export class DomainNotEmptyError extends DirectoryError {
  override readonly name = 'DomainNotEmptyError';
  constructor(
    readonly domain: string,
    readonly names: number,
  ) {
    super(
      `domain ${domain} still has ${names} account(s), alias(es) or forwarder(s); remove them first or use --force`,
    );
  }
}

export class InvalidAddressError extends DirectoryError {
  override readonly name = 'InvalidAddressError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid address "${input}": ${reason}`);
  }
}

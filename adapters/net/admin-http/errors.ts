/**
 * Maps what a request can fail with to an HTTP status and a JSON body `{ error, field? }`:
 * the framework's own refusals (HttpError), zod failures (400 naming the field path), the admin
 * use cases' errors (core/admin/errors.ts) and the older core errors (directory, settings, ports).
 * Anything else is a fault: `describeHttpError` answers undefined and the server logs it and
 * answers 500 without details.
 */
import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundAdminError,
} from '../../../core/admin/errors.ts';
import { RuleSetInvalidError } from '../../../core/admin/rules.ts';
import {
  AlreadyExistsError,
  DomainNotEmptyError,
  InvalidAddressError,
  NotFoundError,
} from '../../../core/directory/errors.ts';
import { MessageNotFoundError, QueueDelayError, QueueFullError } from '../../../core/ports/errors.ts';
import { SettingValueError } from '../../../core/settings/errors.ts';

/** A refusal the framework or a handler words itself. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export interface HttpErrorBody {
  readonly error: string;
  readonly field?: string;
  /** Every problem of an invalid rule set, one line each (rule and field named). */
  readonly problems?: readonly string[];
}

export interface DescribedHttpError {
  readonly status: number;
  readonly body: HttpErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The first zod issue as a field path (`settings.MaxMessageSize`, `items.2.name`) and a message. */
export function zodProblem(err: z.ZodError, fallbackField: string): HttpErrorBody {
  const issue = err.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : fallbackField;
  return { error: issue ? `${field}: ${issue.message}` : 'invalid input', field };
}

const body = (status: number, error: string, field?: string): DescribedHttpError => ({
  status,
  body: field === undefined ? { error } : { error, field },
});

export function describeHttpError(err: unknown): DescribedHttpError | undefined {
  if (err instanceof HttpError) return { ...body(err.status, err.message, err.field), headers: err.headers };
  if (err instanceof z.ZodError) return { status: 400, body: zodProblem(err, 'body') };
  if (err instanceof RuleSetInvalidError) {
    return { status: 400, body: { error: err.message, field: err.field, problems: err.problems } };
  }
  if (err instanceof InvalidInputError) return body(400, err.message, err.field);
  if (err instanceof NotFoundAdminError) return body(404, err.message);
  if (err instanceof ConflictError) return body(409, err.message);
  if (err instanceof ForbiddenError) return body(403, err.message);
  if (err instanceof SettingValueError) return body(400, err.message, err.setting);
  if (err instanceof InvalidAddressError) return body(400, err.message, 'address');
  if (err instanceof QueueDelayError) return body(400, err.message, 'delaySeconds');
  if (err instanceof NotFoundError || err instanceof MessageNotFoundError) return body(404, err.message);
  if (err instanceof AlreadyExistsError || err instanceof DomainNotEmptyError) return body(409, err.message);
  if (err instanceof QueueFullError) return body(409, err.message);
  return undefined;
}

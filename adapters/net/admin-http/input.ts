/**
 * Validates a route's params, query and body with its zod schemas. An API failure is a 400 naming
 * the first failing field; a form failure keeps every field's first message so the page can show
 * each one next to its field.
 */
import type { z } from 'zod';
import { HttpError, zodProblem } from './errors.ts';
import type { FieldErrors, RouteInput } from './route.ts';

interface Schemas {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
}

function check(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value ?? {};
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problem = zodProblem(result.error, where);
  throw new HttpError(400, problem.error, problem.field);
}

export function validateInput(
  route: Schemas,
  raw: { params: Record<string, string>; query: Record<string, string>; body: unknown },
): RouteInput<unknown, unknown, unknown> {
  return {
    params: check(route.params, raw.params, 'params'),
    query: check(route.query, raw.query, 'query'),
    body: check(route.body, raw.body, 'body'),
  };
}

/** Every failing field of a form, with its first message. */
export function formErrors(schema: z.ZodType, values: Record<string, string>): FieldErrors | undefined {
  const result = schema.safeParse(values);
  if (result.success) return undefined;
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '_form';
    errors[field] ??= issue.message;
  }
  return errors;
}

/**
 * Runs a mutating route's handler and records the change in the audit trail: the target's state
 * read before and after (when the route declares `read`; a target that does not exist reads as
 * undefined), who, from where. Only a change that succeeded is recorded. A failing audit write
 * after a successful change is logged (`admin.audit_failed`) and the caller still gets its
 * answer: the change is done and cannot be taken back here.
 */
import type { Logger } from '../../../core/ports/logger.ts';
import { describeHttpError } from './errors.ts';
import type { AuditSpec, RequestContext, RouteInput } from './route.ts';

type Input = RouteInput<unknown, unknown, unknown>;

async function readState(spec: AuditSpec<Input>, ctx: RequestContext, input: Input): Promise<unknown> {
  if (!spec.read) return undefined;
  try {
    return await spec.read(ctx, input);
  } catch (err) {
    if (describeHttpError(err)?.status === 404) return undefined;
    throw err;
  }
}

export async function runAudited<R>(
  spec: AuditSpec<Input> | undefined,
  ctx: RequestContext,
  input: Input,
  logger: Logger,
  run: () => Promise<R>,
): Promise<R> {
  if (!spec) return run();
  const before = await readState(spec, ctx, input);
  const result = await run();
  try {
    const after = await readState(spec, ctx, input);
    const domain = spec.domain?.(input);
    await ctx.access.recordChange({
      actor: ctx.principal,
      action: spec.action,
      target: spec.target(input),
      ...(domain !== undefined ? { domain } : {}),
      ...(spec.read ? { before, after } : {}),
      clientAddress: ctx.clientAddress,
    });
  } catch (err) {
    logger.error({ event: 'admin.audit_failed', action: spec.action, err: String(err) });
  }
  return result;
}

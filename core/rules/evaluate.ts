/**
 * Runs rule sets over one message and answers a RulesPlan (plan.ts): the message's fate, flags,
 * header edits, generated mail, auto-replies and a trace for dry runs. Pure and deterministic given
 * ctx.now and ctx.deliveryId; the semantics are spelled out on `evaluateRules`. Expects validated
 * rules (model.ts); never throws for any message.
 */
import { buildAutoReply, inVacationWindow, whyNoAutoReply } from './auto-reply.ts';
import { evaluateCondition } from './conditions.ts';
import { buildForward, buildMirror, buildRedirect } from './generated-mail.ts';
import { generationBlockedBy } from './loops.ts';
import { type Action, type Rule, type RuleScope, rulesInRunOrder } from './model.ts';
import type {
  ActionOutcome,
  EvaluationContext,
  GeneratedMessage,
  HeaderEdit,
  MessageView,
  PendingAutoReply,
  RuleSetInput,
  RulesPlan,
  RuleTrace,
} from './plan.ts';
import { type LocalTime, localTime, normalizeFlag } from './values.ts';

type DropReason = 'redirect' | 'forward' | 'discard';

/** The plan as it accumulates while actions run. */
class PlanState {
  keepInbox = true;
  dropReason: DropReason | undefined;
  readonly stores: string[] = [];
  readonly flags: string[] = [];
  readonly headerEdits: HeaderEdit[] = [];
  readonly messages: GeneratedMessage[] = [];
  readonly autoReplies: PendingAutoReply[] = [];
  reject: string | undefined;

  cancelInbox(reason: DropReason): void {
    this.keepInbox = false;
    this.dropReason ??= reason;
  }
}

interface ActionScope {
  readonly state: PlanState;
  readonly view: MessageView;
  readonly ctx: EvaluationContext;
  readonly local: LocalTime;
  readonly loopBlocked: string | undefined;
  readonly rule: Rule;
  readonly seed: string;
}

const list = (to: readonly string[]) => to.join(', ');
const done = (effect: string) => ({ applied: true, effect });
const skipped = (effect: string) => ({ applied: false, effect });

function sendCopy(
  action: Action & { to: readonly string[] },
  s: ActionScope,
): { applied: boolean; effect: string } {
  const kind = action.action;
  if (s.loopBlocked) return skipped(`${kind} to ${list(action.to)} not sent: ${s.loopBlocked}`);
  const src = { rule: s.rule.name, idSeed: s.seed };
  if (kind === 'redirect') {
    s.state.messages.push(buildRedirect(action.to, s.view, s.ctx, src));
    s.state.cancelInbox('redirect');
    return done(`redirect to ${list(action.to)} (headers unchanged, envelope sender kept); no INBOX copy`);
  }
  if (kind === 'forward') {
    s.state.messages.push(buildForward(action.to, s.view, s.ctx, src));
    s.state.cancelInbox('forward');
    return done(`forward to ${list(action.to)} as a new message from ${s.ctx.owner}; no INBOX copy`);
  }
  s.state.messages.push(buildMirror(action.to, s.ctx, src));
  return done(`mirror a copy to ${list(action.to)} (sent by ${s.ctx.owner}); delivery continues`);
}

function autoReply(
  action: Extract<Action, { action: 'reply' | 'vacation' }>,
  s: ActionScope,
): { applied: boolean; effect: string } {
  const kind = action.action;
  if (kind === 'vacation' && !inVacationWindow(s.local.date, action.from, action.until))
    return skipped(
      `vacation not active on ${s.local.date} (window ${action.from ?? '…'} to ${action.until ?? '…'})`,
    );
  const why = s.loopBlocked ?? whyNoAutoReply(s.view, s.ctx.owner, s.ctx.ownerAliases);
  if (why) return skipped(`${kind} suppressed: ${why}`);
  const message = buildAutoReply(
    {
      kind,
      rule: s.rule.name,
      idSeed: s.seed,
      text: action.text,
      ...(action.subject ? { subject: action.subject } : {}),
    },
    s.view,
    s.ctx,
  );
  if (kind === 'reply') {
    s.state.autoReplies.push({ message });
    return done(`reply to ${s.view.mailFrom}`);
  }
  const claim = {
    account: s.ctx.owner,
    sender: s.view.mailFrom.toLowerCase(),
    periodMs: action.days * 86_400_000,
  };
  s.state.autoReplies.push({ message, claim });
  return done(`vacation reply to ${s.view.mailFrom}, unless already answered within ${action.days} day(s)`);
}

function applyAction(action: Action, s: ActionScope): { applied: boolean; effect: string } {
  const { state } = s;
  switch (action.action) {
    case 'store': {
      state.keepInbox = false;
      if (state.stores.includes(action.folder)) return done(`store in "${action.folder}" (already planned)`);
      state.stores.push(action.folder);
      return done(`store a copy in "${action.folder}"`);
    }
    case 'mark': {
      const flags = action.flags.map((f) => normalizeFlag(f) ?? f);
      for (const f of flags) if (!state.flags.includes(f)) state.flags.push(f);
      return done(`mark ${flags.join(' ')}`);
    }
    case 'add header':
      state.headerEdits.push({ kind: 'add header', name: action.header, value: action.value });
      return done(`add header ${action.header}: ${action.value}`);
    case 'tag subject':
      state.headerEdits.push({ kind: 'tag subject', tag: action.tag });
      return done(`tag the subject with "${action.tag}"`);
    case 'redirect':
    case 'forward':
    case 'mirror':
      return sendCopy(action, s);
    case 'reply':
    case 'vacation':
      return autoReply(action, s);
    case 'reject':
      state.reject ??= action.text;
      return done(`reject for this recipient: "${action.text}"; nothing is stored or sent`);
    case 'discard':
      state.cancelInbox('discard');
      return done('discard: no INBOX copy; processing stops');
    case 'stop':
      return done('stop processing');
  }
}

const ENDS_PROCESSING = new Set(['stop', 'discard', 'reject']);

function runSet(
  scope: RuleScope,
  rules: readonly Rule[],
  base: Omit<ActionScope, 'rule' | 'seed'>,
  trace: RuleTrace[],
  stoppedBy: string | undefined,
): string | undefined {
  for (const { rule, index } of rulesInRunOrder(rules)) {
    const head = { scope, index, name: rule.name, priority: rule.priority };
    if (stoppedBy) {
      trace.push({ ...head, status: 'not run', stoppedBy, conditions: [], actions: [] });
      continue;
    }
    const conditions = rule.conditions.map((c) => evaluateCondition(c, base.view, base.local));
    if (!conditions.every((v) => v.matched)) {
      trace.push({ ...head, status: 'not matched', conditions, actions: [] });
      continue;
    }
    const actions: ActionOutcome[] = rule.actions.map((action, i) => ({
      action,
      index: i,
      ...applyAction(action, {
        ...base,
        rule,
        seed: `${base.ctx.deliveryId}|${base.ctx.owner}|${scope}:${index}:${i}`,
      }),
    }));
    trace.push({ ...head, status: 'matched', conditions, actions });
    if (rule.actions.some((a) => ENDS_PROCESSING.has(a.action))) stoppedBy = rule.name;
  }
  rules.forEach((rule, index) => {
    if (rule.priority === 'inactive')
      trace.push({
        scope,
        index,
        name: rule.name,
        priority: rule.priority,
        status: 'inactive',
        conditions: [],
        actions: [],
      });
  });
  return stoppedBy;
}

export function evaluateRules(
  sets: readonly RuleSetInput[],
  view: MessageView,
  ctx: EvaluationContext,
): RulesPlan {
  const state = new PlanState();
  const trace: RuleTrace[] = [];
  const loopBlocked = generationBlockedBy(view.headers, ctx.owner, ctx.receivedLimit);
  const base = { state, view, ctx, local: localTime(ctx.now, ctx.utcOffsetMinutes ?? 0), loopBlocked };
  let stoppedBy: string | undefined;
  for (const set of sets) stoppedBy = runSet(set.scope, set.rules, base, trace, stoppedBy);

  const loop = loopBlocked ? { loopBlocked } : {};
  if (state.reject !== undefined) {
    const fate = { kind: 'reject', text: state.reject } as const;
    return { fate, flags: [], headerEdits: [], messages: [], autoReplies: [], ...loop, trace };
  }
  const folders = [...(state.keepInbox ? ['INBOX'] : []), ...state.stores];
  const unique = folders.filter((f, i) => folders.indexOf(f) === i);
  return {
    fate:
      unique.length > 0
        ? { kind: 'deliver', folders: unique }
        : { kind: 'drop', because: state.dropReason ?? 'discard' },
    flags: state.flags,
    headerEdits: state.headerEdits,
    messages: state.messages,
    autoReplies: state.autoReplies,
    ...loop,
    trace,
  };
}

/** The plan as the backend's FilingDecision (folders to store, flags, reject text). */
export function filingDecisionOf(plan: RulesPlan): {
  folders: readonly string[];
  flags?: readonly string[];
  reject?: string;
} {
  if (plan.fate.kind === 'reject') return { folders: [], reject: plan.fate.text };
  const folders = plan.fate.kind === 'deliver' ? plan.fate.folders : [];
  return plan.flags.length > 0 ? { folders, flags: plan.flags } : { folders };
}

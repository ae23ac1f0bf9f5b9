/**
 * Renders an evaluation as human-readable text for a dry run (`strato rules test <account>
 * <message.eml>`): the message as the rules saw it, each rule in run order with its status,
 * each condition's verdict and why, what each action did, and the resulting plan. Plain text,
 * LF line ends, no colours; values from the message are shown on one line. Never throws.
 */
import { decodeEncodedWords, firstHeader } from './headers.ts';
import type { Condition } from './model.ts';
import type { EvaluationContext, GeneratedMessage, MessageView, RulesPlan, RuleTrace } from './plan.ts';
import { localTime } from './values.ts';

const flat = (s: string) => s.replace(/[\r\n\t]+/g, ' ');

export function describeCondition(c: Condition): string {
  const value = Array.isArray(c.value)
    ? `[${c.value.map((v) => `"${v}"`).join(', ')}]`
    : typeof c.value === 'string'
      ? `"${c.value}"`
      : String(c.value);
  return `${c.field}${c.header ? ` ${c.header}` : ''} ${c.op} ${value}`;
}

function describeRule(t: RuleTrace): string[] {
  const priority = t.priority === 'inactive' ? 'inactive' : `priority ${t.priority}`;
  const status =
    t.status === 'not run'
      ? `not run (processing stopped by "${t.stoppedBy}")`
      : t.status === 'inactive'
        ? 'inactive, never runs'
        : t.status;
  const lines = [`  rule ${t.index} "${flat(t.name)}" [${priority}]: ${status}`];
  if (t.status === 'matched' && t.conditions.length === 0)
    lines.push('    yes   (no conditions: matches every message)');
  for (const v of t.conditions) {
    lines.push(`    ${v.matched ? 'yes ' : 'no  '}  ${flat(describeCondition(v.condition))}: ${flat(v.why)}`);
  }
  for (const a of t.actions) lines.push(`    ${a.applied ? '->  ' : 'skip'}  ${flat(a.effect)}`);
  return lines;
}

function describeMessage(m: GeneratedMessage): string {
  const from = m.mailFrom === '' ? '<>' : `<${m.mailFrom}>`;
  return `${m.kind} to ${m.recipients.join(', ')} (envelope sender ${from}, rule "${flat(m.rule)}")`;
}

function describeResult(plan: RulesPlan): string[] {
  const lines = ['Result'];
  const fate = plan.fate;
  if (fate.kind === 'reject') lines.push(`  message: rejected for this recipient: "${fate.text}"`);
  else if (fate.kind === 'drop') lines.push(`  message: not stored (${fate.because})`);
  else lines.push(`  message: store in ${fate.folders.join(', ')}`);
  if (plan.flags.length > 0) lines.push(`  flags: ${plan.flags.join(' ')}`);
  for (const e of plan.headerEdits) {
    lines.push(
      e.kind === 'add header'
        ? `  header edit: add ${flat(e.name)}: ${flat(e.value)}`
        : `  header edit: tag subject with "${flat(e.tag)}"`,
    );
  }
  for (const m of plan.messages) lines.push(`  send: ${describeMessage(m)}`);
  for (const r of plan.autoReplies) {
    const claim = r.claim
      ? ` if ${r.claim.sender} was not answered within ${Math.round(r.claim.periodMs / 86_400_000)} day(s)`
      : '';
    lines.push(`  auto-reply: ${describeMessage(r.message)}${claim}`);
  }
  if (plan.loopBlocked) lines.push(`  loop protection: ${plan.loopBlocked}; no mail generated`);
  return lines;
}

/** The whole explanation, one line per fact, ending with a newline. */
export function explainEvaluation(plan: RulesPlan, view: MessageView, ctx: EvaluationContext): string {
  const local = localTime(ctx.now, ctx.utcOffsetMinutes ?? 0);
  const subject = firstHeader(view.headers, 'Subject');
  const lines = [
    `Rules for ${ctx.owner}`,
    `  message: from <${view.mailFrom}> to ${view.recipients.join(', ') || '(none)'}, ` +
      `source ${view.source}, ${view.size} bytes`,
    `  subject: ${subject === undefined ? '(none)' : flat(decodeEncodedWords(subject))}`,
    `  evaluated at: ${local.date} ${local.time} ${local.day} (${local.zone})`,
    '',
  ];
  let scope: string | undefined;
  for (const t of plan.trace) {
    if (t.scope !== scope) {
      scope = t.scope;
      lines.push(`${scope} rules`);
    }
    lines.push(...describeRule(t));
  }
  if (plan.trace.length === 0) lines.push('(no rules)');
  lines.push('', ...describeResult(plan));
  return `${lines.join('\n')}\n`;
}

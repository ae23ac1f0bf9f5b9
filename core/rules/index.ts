/**
 * The rules engine's public surface for integrators (backend delivery, enqueue, CLI): validate
 * stored rule sets, parse a header block, evaluate rule sets into a plan, resolve vacation
 * claims, build the bytes of generated and edited messages, explain a dry run. Pure core logic:
 * no storage, no sockets. Each module documents its own failure behaviour.
 */
export {
  type AutoReplyMemory,
  type FinalizedAutoReplies,
  finalizeAutoReplies,
  whyNoAutoReply,
} from './auto-reply.ts';
export { whyAutomated } from './automated.ts';
export { opsForField } from './condition-shapes.ts';
export { evaluateRules, filingDecisionOf } from './evaluate.ts';
export { describeCondition, explainEvaluation } from './explain.ts';
export { assembleGeneratedBody } from './generated-mail.ts';
export { applyHeaderEdits, editMessageHeaders } from './header-edits.ts';
export { decodeEncodedWords, type HeaderList, parseHeaderBlock } from './headers.ts';
export {
  countReceived,
  generationBlockedBy,
  hasLoopMark,
  LOOP_HEADER,
} from './loops.ts';
export {
  ACCOUNT_ONLY_ACTIONS,
  type Action,
  CONDITION_FIELDS,
  CONDITION_OPS,
  type Condition,
  type Priority,
  parseRuleSetJson,
  type Rule,
  type RuleScope,
  RuleSetError,
  type RuleSetValidation,
  requireValidRuleSet,
  rulesInRunOrder,
  validateRuleSet,
} from './model.ts';
export type {
  EvaluationContext,
  GeneratedMessage,
  HeaderEdit,
  MessageFate,
  MessageView,
  PendingAutoReply,
  RuleSetInput,
  RulesPlan,
  RuleTrace,
} from './plan.ts';

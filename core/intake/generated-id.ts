/**
 * The XGENID MAIL FROM parameter of forward-to-frontends mode: a backend submitting the mail its
 * rules generated names the id derived from the step that made it (derivedQueueId), and the
 * frontend enqueues the message under that id with source RULE. The queue ignores an id it holds
 * or finished, so a repeated submission (the backend ran its rules again after a crash) is
 * answered 250 and sent once. Accepted only from trusted networks (the backends): anyone else
 * gets 555 5.5.4, a value that is not a queue id 501 5.5.4. Pure; never throws.
 */
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import { isQueueId } from '../util/ids.ts';
import type { TrustedNetworks } from './trusted-networks.ts';

export const GENERATED_ID_PARAM = 'XGENID';

export type GeneratedIdCheck =
  | { readonly ok: true; readonly id?: string }
  | { readonly ok: false; readonly reply: Reply };

/** MAIL FROM's parameters as the SMTP server parsed them (a bare keyword is `true`). */
export type MailParams = Readonly<Record<string, string | boolean>> | false | undefined;

/** The derived id a trusted client passed, none when the parameter is absent, or the refusal. */
export function checkGeneratedId(ip: string, params: MailParams, trusted: TrustedNetworks): GeneratedIdCheck {
  const value = params ? params[GENERATED_ID_PARAM] : undefined;
  if (value === undefined) return { ok: true };
  if (!trusted.contains(ip)) return { ok: false, reply: replies.generatedIdRefused(GENERATED_ID_PARAM) };
  if (typeof value !== 'string' || !isQueueId(value)) {
    return { ok: false, reply: replies.generatedIdInvalid(GENERATED_ID_PARAM) };
  }
  return { ok: true, id: value };
}

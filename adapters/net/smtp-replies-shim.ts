/**
 * Makes Strato's enhanced status codes win over smtp-server's. smtp-server adds an enhanced code
 * chosen from the basic code alone (550 → 5.1.1, 554 → 5.6.0, 552 → 5.2.2), which would contradict
 * core/mail/smtp-replies.ts (554 5.7.1, 552 5.3.4, 552 5.2.3 ...). Our texts start with their own
 * code ("5.7.1 <x>: Relay access denied"); this wraps SMTPConnection.prototype.send so such a text
 * gets no second code. Texts without one keep smtp-server's behaviour. Installing twice is a no-op.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/** "d.ddd.ddd " at the start of a text, in the class (2/4/5) of the reply code. */
const LEADING_ENHANCED = /^([245])\.\d{1,3}\.\d{1,3} /;

const INSTALLED = Symbol.for('strato.smtp-enhanced-code-shim');

export function textCarriesEnhancedCode(code: number, text: unknown): boolean {
  if (typeof text !== 'string') return false;
  const m = LEADING_ENHANCED.exec(text);
  return m !== null && m[1] === String(code)[0];
}

export function installEnhancedCodeShim(): void {
  const proto = SMTPConnection.prototype as SMTPConnection & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const original = proto.send;
  proto.send = function send(
    this: SMTPConnection,
    code: number,
    data?: string | string[] | null,
    context?: string | false,
  ) {
    // context false tells smtp-server to add no enhanced code of its own to this reply.
    return original.call(this, code, data, textCarriesEnhancedCode(code, data) ? false : context);
  };
  proto[INSTALLED] = true;
}

/**
 * Makes Strato's enhanced status codes win over smtp-server's. smtp-server adds an enhanced code
 * chosen from the basic code alone (550 → 5.1.1, 554 → 5.6.0, 552 → 5.2.2), which would contradict
 * core/mail/smtp-replies.ts (554 5.7.1, 552 5.3.4, 552 5.2.3 ...). Our texts start with their own
 * code ("5.7.1 <x>: Relay access denied"); this wraps SMTPConnection.prototype.send so such a text
 * gets no second code. Texts without one keep smtp-server's behaviour. Installing twice is a no-op.
 * It also gives the replies smtp-server chooses itself where ours differ: EXPN is answered
 * `502 5.5.1` (smtp-server: 500 unrecognised), and AUTH on a session marked with AUTH_NEEDS_TLS
 * (submission before STARTTLS, where AUTH is hidden) is answered `530 5.7.0 Must issue a STARTTLS
 * command first` (smtp-server: 500 unrecognised, as the command is disabled for the session).
 * And it hands the stages each MAIL FROM / RCPT TO address as the client wrote it: smtp-server
 * turns an A-label domain into its U-label form (`xn--bcher-kva.example` → `bücher.example`),
 * which would hide whether the client needed SMTPUTF8; core/mail/address.ts normalises it.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { Reply } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';

/** Set (true) on an SMTPServerSession whose AUTH must wait for STARTTLS. */
export const AUTH_NEEDS_TLS = Symbol.for('strato.auth-needs-tls');

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
  installCommandReplies(proto as unknown as ConnectionInternals);
  installRawAddresses(proto as unknown as ConnectionInternals);
  proto[INSTALLED] = true;
}

/** The parts of smtp-server's connection (not in its types) the command replies use. */
interface ConnectionInternals {
  send(code: number, data?: string): void;
  secure: boolean;
  session: { [AUTH_NEEDS_TLS]?: boolean };
  _ready: boolean;
  _upgrading: boolean;
  _nextHandler: unknown;
  _server: { _closeTimeout?: unknown };
  _whenWritable(next: () => void): void;
  _onCommand(command: Buffer | string, callback?: () => void): void;
  handler_EXPN?: (command: Buffer | string, callback: () => void) => void;
  _parseAddressCommand(name: string, command: Buffer | string): false | { address: string };
}

/**
 * The address between the angle brackets of "MAIL FROM:<…> …" / "RCPT TO:<…> …" as sent, a
 * source route ("@relay.example:") dropped as smtp-server does; undefined when there is none.
 */
export function rawCommandAddress(command: string): string | undefined {
  const colon = command.indexOf(':');
  const m = /^\s*<([^<>]*)>/.exec(command.slice(colon + 1));
  return m ? m[1]!.replace(/^@[^\s,:@]+(?:,@[^\s,:@]+)*:/, '') : undefined;
}

function installRawAddresses(proto: ConnectionInternals): void {
  const parse = proto._parseAddressCommand;
  proto._parseAddressCommand = function (this: ConnectionInternals, name, command) {
    const parsed = parse.call(this, name, command);
    if (parsed && parsed.address !== '') {
      const raw = rawCommandAddress((command || '').toString());
      if (raw !== undefined) parsed.address = raw;
    }
    return parsed;
  };
}

const wire = (reply: Reply) => [reply.code, `${reply.enhanced} ${reply.text}`] as const;

function installCommandReplies(proto: ConnectionInternals): void {
  // A handler of our own: smtp-server dispatches it like its own (greeting, TLS-upgrade checks).
  proto.handler_EXPN = function expn(this: ConnectionInternals, _command, callback) {
    this.send(...wire(replies.notImplemented('EXPN')));
    callback();
  };
  const onCommand = proto._onCommand;
  proto._onCommand = function (this: ConnectionInternals, command, callback) {
    const name = (command || '').toString().split(' ').shift()?.toUpperCase();
    // Only a fresh command line (not a SASL continuation) in a session that is ready and plain.
    const tlsFirst =
      name === 'AUTH' &&
      this.session[AUTH_NEEDS_TLS] === true &&
      !this.secure &&
      this._ready &&
      !this._upgrading &&
      !this._nextHandler &&
      !this._server._closeTimeout;
    if (!tlsFirst) return onCommand.call(this, command, callback);
    this.send(...wire(replies.tlsRequired()));
    this._whenWritable(callback ?? (() => undefined));
  };
}

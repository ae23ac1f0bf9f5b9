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
 * Past smtp-server's maxClients its own 421 ("Too many connected clients") becomes ours,
 * `421 4.3.2` naming the cap, and is counted as a refusal (SmtpRejected, reason limits).
 * Last, a session may carry a COMMAND_GUARD (the frontend's per-session abuse limits): every fresh
 * command line is shown to it first, with whether smtp-server would answer it "unrecognised",
 * and so is every syntax or sequence error smtp-server answers itself (501, 503, 504). The
 * guard's verdict delays the command or the error reply (a tarpit: smtp-server reads no further
 * line until it is sent, so pipelined replies keep their order) or answers 421 and closes.
 * And it hands the stages each MAIL FROM / RCPT TO address as the client wrote it: smtp-server
 * turns an A-label domain into its U-label form (`xn--bcher-kva.example` → `bücher.example`),
 * which would hide whether the client needed SMTPUTF8; core/mail/address.ts normalises it.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { Reply } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import { metrics } from '../../core/util/metrics.ts';

/** Set (true) on an SMTPServerSession whose AUTH must wait for STARTTLS. */
export const AUTH_NEEDS_TLS = Symbol.for('strato.auth-needs-tls');

/** "d.ddd.ddd " at the start of a text, in the class (2/4/5) of the reply code. */
const LEADING_ENHANCED = /^([245])\.\d{1,3}\.\d{1,3} /;

const INSTALLED = Symbol.for('strato.smtp-enhanced-code-shim');

/** Set on an SMTPServerSession: sees each fresh command line before smtp-server handles it. */
export const COMMAND_GUARD = Symbol.for('strato.command-guard');

/** A guard's answer: handle the command after `delayMs`, or (after it) answer `close` and close. */
export interface CommandVerdict {
  readonly delayMs: number;
  readonly close?: Reply;
}

export interface CommandGuard {
  /** A fresh command line; `unknown` when smtp-server would answer it 500 unrecognised. */
  command(name: string, unknown: boolean): CommandVerdict;
  /** smtp-server is about to answer a syntax or sequence error (501, 503, 504). */
  badCommand(code: number): CommandVerdict;
}

/** The end of smtp-server's reply past maxClients (it starts with the server name). */
const MAX_CLIENTS_TEXT = 'Too many connected clients, try again in a moment';

/** smtp-server's own replies to a command it knows but refuses as malformed or out of order. */
const BAD_COMMAND_CODES = new Set([501, 503, 504]);
/** Set on a connection while an error reply waits out its tarpit: the next line waits too. */
const TARPIT = Symbol('strato.tarpit');

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
    // smtp-server's own refusal past maxClients: our reply, and counted like every refusal.
    if (code === 421 && typeof data === 'string' && data.endsWith(MAX_CLIENTS_TEXT)) {
      metrics.count('SmtpRejected', { Class: '4xx', Reason: 'limits' });
      const limit = (this as unknown as ConnectionInternals)._server.options?.maxClients ?? 0;
      return original.call(this, ...wire(replies.tooManyClients(limit)), false);
    }
    // context false tells smtp-server to add no enhanced code of its own to this reply.
    const ctx = textCarriesEnhancedCode(code, data) ? false : context;
    const conn = this as unknown as ConnectionInternals;
    const guard = conn.session?.[COMMAND_GUARD];
    if (guard && BAD_COMMAND_CODES.has(code) && !conn._closing) {
      const verdict = guard.badCommand(code);
      if (verdict.close || verdict.delayMs > 0) {
        conn[TARPIT] = new Promise<void>((resolve) =>
          setTimeout(() => {
            if (verdict.close) conn.send(...wire(verdict.close));
            else if (!conn._closing) original.call(this, code, data, ctx);
            resolve();
          }, verdict.delayMs),
        );
        return;
      }
    }
    return original.call(this, code, data, ctx);
  };
  installCommandReplies(proto as unknown as ConnectionInternals);
  installRawAddresses(proto as unknown as ConnectionInternals);
  proto[INSTALLED] = true;
}

/** The parts of smtp-server's connection (not in its types) the command replies use. */
interface ConnectionInternals {
  send(code: number, data?: string): void;
  secure: boolean;
  session: { [AUTH_NEEDS_TLS]?: boolean; [COMMAND_GUARD]?: CommandGuard };
  _ready: boolean;
  _upgrading: boolean;
  _nextHandler: unknown;
  _server: { _closeTimeout?: unknown; options?: { maxClients?: number } };
  _closing: boolean;
  [TARPIT]?: Promise<void>;
  _whenWritable(next: () => void): void;
  _isSupported(command: string): boolean;
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
  // smtp-server reads the next command line once a command is done and the socket writable: an
  // error reply still in its tarpit holds that back.
  const whenWritable = proto._whenWritable;
  proto._whenWritable = function (this: ConnectionInternals, next) {
    const pending = this[TARPIT];
    if (!pending) return whenWritable.call(this, next);
    this[TARPIT] = undefined;
    void pending.then(() => whenWritable.call(this, next));
  };
  // A handler of our own: smtp-server dispatches it like its own (greeting, TLS-upgrade checks).
  proto.handler_EXPN = function expn(this: ConnectionInternals, _command, callback) {
    this.send(...wire(replies.notImplemented('EXPN')));
    callback();
  };
  const onCommand = proto._onCommand;
  const handle = function (this: ConnectionInternals, command: Buffer | string, callback?: () => void) {
    const name = (command || '').toString().split(' ').shift()?.toUpperCase() ?? '';
    // Only a fresh command line (not a SASL continuation) in a session that is ready and plain.
    const fresh = this._ready && !this._upgrading && !this._nextHandler && !this._server._closeTimeout;
    const tlsFirst = fresh && name === 'AUTH' && this.session[AUTH_NEEDS_TLS] === true && !this.secure;
    if (!tlsFirst) return onCommand.call(this, command, callback);
    this.send(...wire(replies.tlsRequired()));
    this._whenWritable(callback ?? (() => undefined));
  };
  proto._onCommand = function (this: ConnectionInternals, command, callback) {
    const guard = this.session[COMMAND_GUARD];
    const fresh =
      this._ready && !this._upgrading && !this._nextHandler && !this._server._closeTimeout && !this._closing;
    if (!guard || !fresh) return handle.call(this, command, callback);
    const name = (command || '').toString().split(' ').shift()?.toUpperCase() ?? '';
    // AUTH before STARTTLS is answered 530 above, not "unrecognised".
    const unknown = !this._isSupported(name) && !(name === 'AUTH' && this.session[AUTH_NEEDS_TLS] === true);
    const verdict = guard.command(name, unknown);
    const go = () => {
      if (this._closing) return; // the client left (or the session was closed) meanwhile
      // 421 makes smtp-server close the connection after sending it.
      if (verdict.close) return this.send(...wire(verdict.close));
      handle.call(this, command, callback);
    };
    if (verdict.delayMs > 0) setTimeout(go, verdict.delayMs);
    else go();
  };
}

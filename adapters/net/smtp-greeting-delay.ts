/**
 * A greeting delay per SMTP listener, without forking smtp-server. smtp-server (3.21) waits a
 * hard-coded 100 ms after accepting a connection before its onConnect and 220 greeting, and
 * answers any command that arrives before the greeting `421 <name> You talk too soon` and closes
 * (its early-talker check). That wait caps a connection-per-message client near 10 messages/s.
 * `setGreetingDelay(server, ms)` sets the wait of one SMTPServer; `installGreetingDelay()` replaces
 * SMTPConnection.prototype.init (once) by the same steps with that wait:
 * - ms > 0: the check stays as smtp-server does it (a command before the greeting: 421, closed);
 * - ms = 0: greet at once, no early-talker check: a command that arrives before the greeting
 *   (while onConnect still runs) is held and handled right after the greeting is sent.
 * A client the server's `exempt` test passes (trusted networks) is greeted as with ms = 0.
 * A server without a delay set keeps smtp-server's own init (100 ms). Installing twice is a no-op.
 * Failure: if smtp-server's connection lacks a method this relies on, installing throws (at
 * start-up, not per session); smtp-greeting-delay.test.ts pins the replaced init's source.
 */
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

const INSTALLED = Symbol.for('strato.smtp-greeting-delay');
const DELAY = Symbol.for('strato.smtp-greeting-delay-ms');
/** Client addresses greeted at once whatever the server's delay (trusted networks). */
const EXEMPT = Symbol.for('strato.smtp-greeting-delay-exempt');
/** The wait this connection got (its server's delay, or 0 for an exempt client). */
const CONN_DELAY = Symbol('strato.connection-greeting-delay');
/** A command (and smtp-server's continue callback) that arrived before a delay-0 greeting. */
const HELD = Symbol('strato.held-command');

/** smtp-server's reply past maxClients, as its init sends it (smtp-replies-shim.ts rewrites it). */
export const MAX_CLIENTS_TEXT = 'Too many connected clients, try again in a moment';

interface ServerInternals {
  [DELAY]?: number;
  [EXEMPT]?: (ip: string) => boolean;
  options: { maxClients?: number };
  connections: Set<unknown>;
}

interface ConnectionInternals {
  _server: ServerInternals;
  _ready: boolean;
  _upgrading: boolean;
  _closing: boolean;
  _closed: boolean;
  name: string;
  remoteAddress: string;
  [CONN_DELAY]?: number;
  [HELD]?: { command: Buffer | string; callback?: () => void };
  init(): void;
  connectionReady(next?: () => void): void;
  send(code: number, data?: string, context?: string | false): void;
  _setListeners(callback: () => void): void;
  _sendGreeting(): void;
  _onCommand(command: Buffer | string, callback?: () => void): void;
}

/** The methods of smtp-server's connection the replacement calls or wraps. */
export const REQUIRED_METHODS = [
  'init',
  'connectionReady',
  'send',
  '_setListeners',
  '_sendGreeting',
  '_onCommand',
] as const;

/**
 * Set the greeting delay of one server (ms; 0 = greet at once, no early-talker check). Clients
 * for which `exempt(ip)` is true (trusted networks, as Postfix's postscreen passes mynetworks)
 * are greeted at once.
 */
export function setGreetingDelay(server: SMTPServer, ms: number, exempt?: (ip: string) => boolean): void {
  if (!Number.isInteger(ms) || ms < 0)
    throw new RangeError(`greeting delay must be an integer >= 0 (got ${ms})`);
  const internals = server as unknown as ServerInternals;
  internals[DELAY] = ms;
  if (exempt) internals[EXEMPT] = exempt;
  else delete internals[EXEMPT];
}

export function installGreetingDelay(): void {
  const proto = SMTPConnection.prototype as unknown as ConnectionInternals & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const missing = REQUIRED_METHODS.filter((m) => typeof proto[m] !== 'function');
  if (missing.length > 0) {
    throw new Error(`smtp-server changed: SMTPConnection lacks ${missing.join(', ')} (greeting delay)`);
  }
  const { init, _sendGreeting: sendGreeting, _onCommand: onCommand } = proto;

  proto.init = function (this: ConnectionInternals) {
    const configured = this._server[DELAY];
    if (configured === undefined) return init.call(this);
    // smtp-server's init with our wait in place of its fixed 100 ms.
    this._setListeners(() => {
      // Here, after a PROXY header (if any) has set the client's real address.
      const delay = configured > 0 && this._server[EXEMPT]?.(this.remoteAddress) ? 0 : configured;
      this[CONN_DELAY] = delay;
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        return this.send(421, `${this.name} ${MAX_CLIENTS_TEXT}`, false);
      }
      if (delay === 0) return this.connectionReady();
      // Unref'd like smtp-server's: a pending greeting does not keep the process alive.
      setTimeout(() => this.connectionReady(), delay).unref();
    });
  };

  // Delay 0: hold a command that arrives before the greeting instead of "You talk too soon".
  // smtp-server reads the next line only once the callback runs, so at most one is held.
  proto._onCommand = function (this: ConnectionInternals, command, callback) {
    if (!this._ready && !this._upgrading && !this._closing && this[CONN_DELAY] === 0 && !this[HELD]) {
      this[HELD] = { command, ...(callback ? { callback } : {}) };
      return;
    }
    return onCommand.call(this, command, callback);
  };

  proto._sendGreeting = function (this: ConnectionInternals) {
    sendGreeting.call(this);
    const held = this[HELD];
    if (!held) return;
    this[HELD] = undefined;
    // After the greeting is written: the held command is answered like any other.
    if (!this._closing && !this._closed) this._onCommand(held.command, held.callback);
  };

  proto[INSTALLED] = true;
}

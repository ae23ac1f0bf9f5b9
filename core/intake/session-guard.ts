/**
 * One SMTP session's own limits: commands in all, its length, unknown or bad commands (unknown,
 * malformed, out of sequence) and invalid recipients (unknown user, relay denied). Each error reply of the session waits a growing
 * tarpit delay — the n-th waits (n-1) × step ms, at most max ms — so harvesting and command
 * fuzzing slow down; past a limit the verdict is 421 4.7.0 naming it, and the session closes.
 * Pure (time comes in as arguments); a limit of 0 is off. Never throws.
 */
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';

export interface SessionLimits {
  readonly invalidRecipientsPerSession: number;
  readonly badCommandsPerSession: number;
  readonly commandsPerSession: number;
  readonly sessionSeconds: number;
  readonly tarpitStepMs: number;
  readonly tarpitMaxMs: number;
}

/** What to do with a command or error reply: wait `delayMs` first, or close with `close`. */
export interface Verdict {
  readonly delayMs: number;
  readonly close?: Reply;
}

export type SessionLimitName = 'commands' | 'duration' | 'bad-commands' | 'invalid-recipients';

export class SessionGuard {
  private commands = 0;
  private badCommands = 0;
  private invalidRecipients = 0;
  private errors = 0;
  /** The limit that closed the session, for the log. */
  closedBy: SessionLimitName | undefined;

  constructor(
    private readonly limits: SessionLimits,
    private readonly startedAt: number,
  ) {}

  /** When the session must end (ms), or undefined without a duration limit. */
  deadline(): number | undefined {
    return this.limits.sessionSeconds > 0 ? this.startedAt + this.limits.sessionSeconds * 1000 : undefined;
  }

  /** The session has outlived its limit at `now`: the 421 to close it with. */
  expired(now: number): Reply | undefined {
    const deadline = this.deadline();
    if (deadline === undefined || now < deadline) return undefined;
    this.closedBy = 'duration';
    return replies.sessionTooLong(this.limits.sessionSeconds);
  }

  /** A new command line; `unknown` when it names no command the session offers. */
  command(now: number, unknown: boolean): Verdict {
    const late = this.expired(now);
    if (late) return { delayMs: 0, close: late };
    this.commands++;
    const { commandsPerSession } = this.limits;
    if (commandsPerSession > 0 && this.commands > commandsPerSession) {
      return this.close('commands', replies.sessionLimit('commands', commandsPerSession));
    }
    return unknown ? this.badCommand() : { delayMs: 0 };
  }

  /** A command refused as unknown, malformed or out of sequence (500, 501, 503, 504). */
  badCommand(): Verdict {
    this.badCommands++;
    const limit = this.limits.badCommandsPerSession;
    if (limit > 0 && this.badCommands > limit) {
      return this.close('bad-commands', replies.sessionLimit('unknown or bad commands', limit));
    }
    return { delayMs: this.nextErrorDelay() };
  }

  /** A recipient refused as unknown or not relayed. */
  invalidRecipient(): Verdict {
    this.invalidRecipients++;
    const limit = this.limits.invalidRecipientsPerSession;
    if (limit > 0 && this.invalidRecipients > limit) {
      return this.close('invalid-recipients', replies.sessionLimit('invalid recipients', limit));
    }
    return { delayMs: this.nextErrorDelay() };
  }

  private close(name: SessionLimitName, reply: Reply): Verdict {
    this.closedBy = name;
    return { delayMs: this.nextErrorDelay(), close: reply };
  }

  private nextErrorDelay(): number {
    this.errors++;
    return Math.min((this.errors - 1) * this.limits.tarpitStepMs, this.limits.tarpitMaxMs);
  }
}

/** The recipient refusals a harvester collects: no such user, relay denied, not an address. */
export function isInvalidRecipient(reply: Reply): boolean {
  return (
    reply.enhanced === '5.1.1' ||
    reply.enhanced === '5.1.3' ||
    (reply.code === 554 && reply.enhanced === '5.7.1')
  );
}

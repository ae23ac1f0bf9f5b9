/**
 * Removes a client's own `Return-Path:` header fields (with their folded continuation lines)
 * from a message while it streams past: only the final delivery adds Return-Path (RFC 5321
 * §4.4), so one arriving from a client is a forgery or a leftover. Looks only at the top-level
 * header section (it passes everything after the first empty line untouched) and holds at most
 * the first few bytes of a line, while it is undecided, so no header or body is ever buffered.
 * Expects CRLF-normalised input. Never fails.
 */

const PREFIX = Buffer.from('return-path:');
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

type LineState = 'start' | 'undecided' | 'keep' | 'drop';

export class ReturnPathFilter {
  private inHeaders = true;
  private state: LineState = 'start';
  /** The last field started was a Return-Path: its continuation lines go too. */
  private dropping = false;
  private emptyLine = false;
  private matched = 0;
  /** The undecided start of the current line (at most PREFIX.length bytes). */
  private held: number[] = [];
  /** Fields removed so far. */
  removed = 0;

  push(chunk: Buffer): Buffer {
    if (!this.inHeaders || chunk.length === 0) return chunk;
    const out: Buffer[] = [];
    let keepFrom = -1;
    const flushRun = (end: number) => {
      if (keepFrom >= 0 && end > keepFrom) out.push(chunk.subarray(keepFrom, end));
      keepFrom = -1;
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.state === 'start') {
        flushRun(i);
        this.startLine(b);
      }
      if (this.state === 'undecided') {
        const decided = this.decide(b);
        if (decided === undefined) continue;
        if (decided === 'keep') {
          out.push(Buffer.from(this.held));
          keepFrom = i + 1;
        }
        this.held = [];
      } else if (this.state === 'keep' && keepFrom < 0) keepFrom = i;
      if (b !== LF) continue;
      if (this.emptyLine) {
        flushRun(i + 1);
        out.push(chunk.subarray(i + 1));
        this.inHeaders = false;
        return Buffer.concat(out);
      }
      this.state = 'start';
    }
    flushRun(chunk.length);
    return Buffer.concat(out);
  }

  /** What is still held at the end of the message (a header line it ended inside). */
  flush(): Buffer {
    const rest = Buffer.from(this.held);
    this.held = [];
    return rest;
  }

  private startLine(b: number): void {
    if (b === SP || b === HT) {
      this.state = this.dropping ? 'drop' : 'keep';
    } else if (b === CR || b === LF) {
      this.state = 'keep';
      this.emptyLine = true;
    } else {
      this.state = 'undecided';
      this.matched = 0;
    }
  }

  /** Holds `b`; the line's fate once it is decided, undefined while it is not. */
  private decide(b: number): 'keep' | 'drop' | undefined {
    this.held.push(b);
    // ASCII lower-casing by setting bit 0x20 is exact for letters; '-' and ':' already have it.
    if ((b | 0x20) !== PREFIX[this.matched]) {
      this.state = 'keep';
      this.dropping = false;
      return 'keep';
    }
    this.matched++;
    if (this.matched < PREFIX.length) return undefined;
    this.state = 'drop';
    this.dropping = true;
    this.removed++;
    return 'drop';
  }
}

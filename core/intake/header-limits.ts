/**
 * Counts a message's top-level header section while it streams past and says when it crosses one
 * of the header limits: one field (its first line and folded continuation lines, CRLF included)
 * over `maxFieldBytes`, the whole section over `maxSectionBytes`, or more than `maxFields` fields.
 * Holds a few counters only (never a header), stops looking at the first empty line, and expects
 * CRLF-normalised input. Never fails: the caller asks `exceeded` after each chunk.
 */

export interface HeaderLimits {
  /** Largest header field (with its continuation lines), bytes. */
  readonly maxFieldBytes: number;
  /** Largest header section (every field, up to the empty line), bytes. */
  readonly maxSectionBytes: number;
  /** Most header fields. */
  readonly maxFields: number;
}

export type HeaderLimitName = 'field-size' | 'section-size' | 'field-count';

export interface HeaderLimitExceeded {
  readonly limit: HeaderLimitName;
  /** The limit's value (bytes or fields). */
  readonly max: number;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

export class HeaderLimitCounter {
  private inHeaders = true;
  private atLineStart = true;
  /** The current line began with CR or LF: in CRLF-normalised input, the empty line. */
  private emptyLine = false;
  private fieldBytes = 0;
  private sectionBytes = 0;
  private fields = 0;
  /** The limit crossed, once one is; later chunks are not looked at. */
  exceeded: HeaderLimitExceeded | undefined;

  constructor(private readonly limits: HeaderLimits) {}

  get fieldCount(): number {
    return this.fields;
  }

  /** True once the empty line after the header section has gone past. */
  get headersDone(): boolean {
    return !this.inHeaders;
  }

  push(chunk: Uint8Array): void {
    if (!this.inHeaders || this.exceeded) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.atLineStart && !this.startLine(b)) return;
      if (this.emptyLine) {
        if (b === LF) {
          this.inHeaders = false; // the body starts: nothing more to count
          return;
        }
        continue; // its CR
      }
      this.fieldBytes++;
      this.sectionBytes++;
      if (b === LF) this.atLineStart = true;
      if (this.fieldBytes > this.limits.maxFieldBytes) {
        this.exceeded = { limit: 'field-size', max: this.limits.maxFieldBytes };
        return;
      }
      if (this.sectionBytes > this.limits.maxSectionBytes) {
        this.exceeded = { limit: 'section-size', max: this.limits.maxSectionBytes };
        return;
      }
    }
  }

  /** A line starts with `b`: a new field, a continuation or the empty line. False once over the count. */
  private startLine(b: number): boolean {
    this.atLineStart = false;
    this.emptyLine = b === CR || b === LF;
    if (this.emptyLine || b === SP || b === HT) return true;
    this.fields++;
    this.fieldBytes = 0;
    if (this.fields <= this.limits.maxFields) return true;
    this.exceeded = { limit: 'field-count', max: this.limits.maxFields };
    return false;
  }
}

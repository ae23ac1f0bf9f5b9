/**
 * Watches the top-level header section of a message while it streams past (inside
 * IntakeBodyStream): keeps the field lines of a few named fields (From and Sender for sender
 * binding), with their folded continuation lines, and says where in a chunk the header section
 * ends — the empty line — so a header can be inserted before it. Only the wanted fields are kept,
 * each up to a limit (past it `truncated` is set and the rest of that field is dropped), so a huge
 * header section costs no memory and a wanted field after any amount of other header text is
 * still found. Expects CRLF-normalised input. Never fails.
 */

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** Longest field name looked at; a longer one is not a wanted field. */
const MAX_NAME = 64;
/** Bytes kept of all wanted fields together. */
const DEFAULT_MAX_BYTES = 16 * 1024;

type State = 'line-start' | 'name' | 'keep' | 'skip';

export class HeaderTap {
  private readonly wanted: ReadonlySet<string>;
  private state: State = 'line-start';
  private name: number[] = [];
  /** The field being kept (its bytes so far), while state is 'keep'. */
  private current: number[] | undefined;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  /** The last field started is a wanted one (its continuation lines are kept too). */
  private keeping = false;
  /** True once the empty line (or the end of the message) closed the header section. */
  ended = false;
  /** A wanted field was longer than the limit: what `fields` returns is incomplete. */
  truncated = false;
  /** The last byte seen ended a line (false inside a line). */
  atLineStart = true;

  constructor(
    names: readonly string[],
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {
    this.wanted = new Set(names.map((n) => n.toLowerCase()));
  }

  /**
   * Feed the next bytes. Answers the offset in `chunk` where the empty line that ends the header
   * section starts (its CR), or -1 when the section did not end within this chunk.
   */
  push(chunk: Buffer): number {
    if (this.ended) return -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      this.atLineStart = b === LF;
      switch (this.state) {
        case 'line-start':
          if (b === CR || b === LF) {
            this.finishField();
            this.ended = true;
            return i;
          }
          if (b === SP || b === HT) {
            this.state = this.keeping ? 'keep' : 'skip';
            if (this.keeping) this.keep(b);
          } else {
            this.finishField();
            this.state = 'name';
            this.name = [b];
          }
          break;
        case 'name':
          this.readName(b);
          break;
        case 'keep':
          this.keep(b);
          if (b === LF) this.state = 'line-start';
          break;
        case 'skip':
          if (b === LF) this.state = 'line-start';
          break;
      }
    }
    return -1;
  }

  /** The end of the message: a header section without an empty line ends here. */
  end(): void {
    if (this.ended) return;
    this.finishField();
    this.ended = true;
  }

  /** The kept field lines (raw bytes), folding kept, each ending in CRLF: a block parseHeaderBlock reads. */
  block(): Buffer {
    return Buffer.concat(this.kept);
  }

  private readName(b: number): void {
    if (b === COLON) {
      const name = Buffer.from(this.name).toString('latin1').trimEnd().toLowerCase();
      this.keeping = this.wanted.has(name);
      if (this.keeping) {
        this.current = [];
        for (const c of this.name) this.keep(c);
        this.keep(b);
      }
      this.state = this.keeping ? 'keep' : 'skip';
      return;
    }
    if (b === LF) {
      // A line without a colon is not a field; it ends any field before it.
      this.keeping = false;
      this.state = 'line-start';
      return;
    }
    this.name.push(b);
    if (this.name.length > MAX_NAME) {
      this.keeping = false;
      this.state = 'skip';
    }
  }

  private keep(b: number): void {
    if (!this.current) return;
    if (this.keptBytes >= this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.current.push(b);
    this.keptBytes++;
  }

  private finishField(): void {
    if (!this.current) return;
    const bytes = Buffer.from(this.current);
    this.kept.push(bytes.at(-1) === LF ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]));
    this.current = undefined;
  }
}

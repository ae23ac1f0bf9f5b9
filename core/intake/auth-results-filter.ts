/**
 * Removes incoming `Authentication-Results:` header fields that claim our authserv-id (RFC 8601
 * §5: an MTA must delete such forgeries, or a sender could pass our own verdicts off as its own),
 * with their folded continuation lines, while the message streams past. Fields naming another
 * authserv-id stay. Like return-path-filter.ts it looks only at the top-level header section and
 * holds only the undecided start of a field: a field is held until its name shows it is not an
 * Authentication-Results field (a few bytes), or until its authserv-id token is complete; a field
 * still undecided after MAX_HELD bytes is kept (no real authserv-id is that far in). Expects
 * CRLF-normalised input. Never fails.
 */

const NAME = 'authentication-results:';
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
/** Bytes of one field held while undecided; beyond this the field is kept. */
const MAX_HELD = 4096;

type FieldState = 'keep' | 'drop' | 'held';

/**
 * The verdict on a field from its first bytes (`text` as latin1, folding kept): undefined while
 * more bytes could change it. `complete` = the whole field is in `text`.
 */
export function authResultsVerdict(
  text: string,
  authservId: string,
  complete: boolean,
): 'keep' | 'drop' | undefined {
  const lower = text.toLowerCase();
  const n = Math.min(lower.length, NAME.length);
  if (lower.slice(0, n) !== NAME.slice(0, n)) return 'keep';
  if (lower.length <= NAME.length) return complete ? 'keep' : undefined;
  // The value: skip folding white space and comments, then read the authserv-id token.
  const value = lower
    .slice(NAME.length)
    .replace(/\r\n/g, '')
    .replace(/\([^()]*\)/g, ' ')
    .trimStart();
  const token = /^(?:"([^"]*)"|([^\s;()"]+))(?=[\s;(]|$)/.exec(value);
  // A token running to the end of what we have may go on in the next bytes.
  if (token && (complete || token[0].length < value.length))
    return idMatches(token, authservId) ? 'drop' : 'keep';
  if (complete) return 'keep';
  // Something that cannot start an id (an open comment or quote still can).
  if (!token && value !== '' && !value.startsWith('(') && !value.startsWith('"')) return 'keep';
  return undefined;
}

const idMatches = (token: RegExpExecArray, id: string) =>
  (token[1] ?? token[2] ?? '').replace(/\.$/, '') === id.toLowerCase().replace(/\.$/, '');

export class AuthResultsFilter {
  private inHeaders = true;
  private atLineStart = true;
  private field: FieldState = 'keep';
  private held: number[] = [];
  /** Fields removed so far. */
  removed = 0;

  constructor(private readonly authservId: string) {}

  push(chunk: Buffer): Buffer {
    if (!this.inHeaders || chunk.length === 0) return chunk;
    const out: number[] = [];
    // Header bytes are collected one by one (a header section is small); the body is sliced.
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.atLineStart) {
        this.atLineStart = false;
        if (b === CR || b === LF) {
          // The empty line: the header section ends here; the rest passes untouched.
          this.settle(out, true);
          this.inHeaders = false;
          return Buffer.concat([Buffer.from(out), chunk.subarray(i)]);
        }
        if (b !== SP && b !== HT) {
          this.settle(out, true); // a new field: the previous one is complete
          this.field = 'held';
        }
      }
      if (b === LF) this.atLineStart = true;
      if (this.field === 'keep') out.push(b);
      else if (this.field === 'held') {
        this.held.push(b);
        if (this.held.length <= NAME.length + 1 || b === LF || this.held.length > MAX_HELD)
          this.settle(out, false);
      }
    }
    return Buffer.from(out);
  }

  /** What is still held at the end of the message (a header section it ended inside). */
  flush(): Buffer {
    const out: number[] = [];
    if (this.inHeaders) this.settle(out, true);
    return Buffer.from(out);
  }

  /** Decide the held field if its bytes allow (always when `complete` or over MAX_HELD). */
  private settle(out: number[], complete: boolean): void {
    if (this.field !== 'held') return;
    const text = Buffer.from(this.held).toString('latin1');
    let verdict = authResultsVerdict(text, this.authservId, complete);
    if (verdict === undefined && this.held.length > MAX_HELD) verdict = 'keep';
    if (verdict === undefined) return;
    if (verdict === 'keep') out.push(...this.held);
    else this.removed++;
    this.held = [];
    this.field = verdict;
  }
}

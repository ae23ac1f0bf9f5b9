/**
 * Lines over 998 octets (RFC 5322 §2.1.1) in mail we relay: like Postfix's
 * smtp_line_length_limit, a line longer than 998 octets (not counting its CRLF) is broken by
 * inserting CRLF SPACE, so no line that leaves the cluster over SMTP is longer than 998 octets.
 * In a header the break is a fold (RFC 5322 §2.2.3: the field keeps its content, whitespace
 * aside); in a body it adds a line break and a space, which is the least damage to MIME parts
 * (what Postfix does). Streams: holds nothing but a pending CR between chunks. Never fails.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** RFC 5322 §2.1.1: at most 998 characters per line, excluding the CRLF. */
export const MAX_LINE_OCTETS = 998;

const CR = 0x0d;
const LF = 0x0a;
const BREAK = Buffer.from('\r\n ');

export class LongLineFolder extends Transform {
  /** Octets of the current output line so far (without its line end). */
  private line = 0;
  /** A CR ended the last chunk: it may be the first half of CRLF. */
  private pendingCr = false;
  /** Breaks inserted so far. */
  folds = 0;

  constructor(private readonly max = MAX_LINE_OCTETS) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.push(this.fold(chunk));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pendingCr) this.push(this.content(Buffer.from([CR]), []));
    this.pendingCr = false;
    callback();
  }

  private fold(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let from = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] === LF) {
        out.push(Buffer.from([CR, LF]));
        this.line = 0;
        from = 1;
      } else out.push(this.content(Buffer.from([CR]), []));
    }
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF || (b === CR && chunk[i + 1] === LF)) {
        const end = b === LF ? i + 1 : i + 2;
        out.push(chunk.subarray(from, end));
        this.line = 0;
        from = end;
        i = end - 1;
        continue;
      }
      if (b === CR && i === chunk.length - 1) {
        out.push(chunk.subarray(from, i));
        this.pendingCr = true;
        return Buffer.concat(out);
      }
      if (this.line === this.max) {
        out.push(chunk.subarray(from, i), BREAK);
        this.folds++;
        this.line = 1; // the SPACE
        from = i;
      }
      this.line++;
    }
    out.push(chunk.subarray(from));
    return Buffer.concat(out);
  }

  /** One content octet sequence that is not a line end (a lone CR), folded like any other. */
  private content(bytes: Buffer, out: Buffer[]): Buffer {
    for (const b of bytes) {
      if (this.line === this.max) {
        out.push(BREAK);
        this.folds++;
        this.line = 1;
      }
      out.push(Buffer.from([b]));
      this.line++;
    }
    return Buffer.concat(out);
  }
}

/**
 * Line-end normalisation for message bodies: bare LF → CRLF, bare CR → CRLF, CRLF kept.
 * Streaming and stateful: a CR at the end of one chunk is held until the next chunk shows
 * whether an LF follows, so results do not depend on how the bytes were split. Never fails;
 * `CrlfNormalizer` is the pure core, `createCrlfTransform` wraps it as a node:stream Transform.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

export class CrlfNormalizer {
  /** A CR ended the previous chunk; whether it is bare depends on the next byte. */
  private pendingCr = false;

  /** Normalise one chunk; the returned buffer may be empty (a lone trailing CR is held back). */
  push(chunk: Uint8Array): Buffer {
    const input = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Worst case every byte is a bare LF or CR and doubles, plus a held CR from the last chunk.
    const out = Buffer.allocUnsafe(input.length * 2 + 2);
    let o = 0;
    let i = 0;
    if (this.pendingCr && input.length > 0) {
      this.pendingCr = false;
      o += CRLF.copy(out, o);
      if (input[0] === LF) i = 1; // the held CR and this LF were one CRLF
    }
    while (i < input.length) {
      // Copy the run of ordinary bytes up to the next CR or LF in one go.
      let next = i;
      while (next < input.length && input[next] !== CR && input[next] !== LF) next++;
      if (next > i) o += input.copy(out, o, i, next);
      if (next >= input.length) break;
      if (input[next] === LF) {
        o += CRLF.copy(out, o);
        i = next + 1;
      } else if (next + 1 < input.length) {
        o += CRLF.copy(out, o);
        i = input[next + 1] === LF ? next + 2 : next + 1;
      } else {
        this.pendingCr = true; // CR is the last byte: decide with the next chunk
        i = next + 1;
      }
    }
    return out.subarray(0, o);
  }

  /** End of input: a CR still held back was bare and becomes CRLF. */
  flush(): Buffer {
    if (!this.pendingCr) return Buffer.alloc(0);
    this.pendingCr = false;
    return Buffer.from(CRLF);
  }
}

/** A Transform that emits the input with every line end as CRLF. */
export function createCrlfTransform(): Transform {
  const normalizer = new CrlfNormalizer();
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const out = normalizer.push(chunk);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback: TransformCallback) {
      const out = normalizer.flush();
      callback(null, out.length > 0 ? out : undefined);
    },
  });
}

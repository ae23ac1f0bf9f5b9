/**
 * Counts the Received headers of a message while it streams past, looking only at the header
 * block (it stops at the first empty line) and holding no more than a few bytes of state, so a
 * header split across chunks is still counted. Expects CRLF-normalised input. Never fails.
 */

const PREFIX = Buffer.from('received:');
const CR = 0x0d;
const LF = 0x0a;

export class ReceivedHopCounter {
  private count = 0;
  private inHeaders = true;
  /** Bytes of the current line seen so far, not counting CR. */
  private lineLength = 0;
  /** How many leading bytes of the current line matched "received:" (case-insensitive). */
  private matched = 0;

  get hops(): number {
    return this.count;
  }

  /** True once the empty line after the headers has gone past; later chunks are not scanned. */
  get headersDone(): boolean {
    return !this.inHeaders;
  }

  push(chunk: Uint8Array): void {
    if (!this.inHeaders) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) {
        if (this.lineLength === 0) {
          this.inHeaders = false; // empty line: the body starts, nothing more to count
          return;
        }
        this.lineLength = 0;
        this.matched = 0;
        continue;
      }
      if (b === CR) continue;
      if (this.lineLength === this.matched && this.matched < PREFIX.length) {
        // ASCII lower-casing by setting bit 0x20 is exact for letters; ':' (0x3a) already has it.
        if ((b | 0x20) === PREFIX[this.matched]) {
          this.matched++;
          if (this.matched === PREFIX.length) this.count++;
        }
      }
      this.lineLength++;
    }
  }
}

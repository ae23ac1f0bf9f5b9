/**
 * Finds a message's header section on a byte stream with mailsplit's Splitter (the parser
 * mailparser is built on): it reads chunks until the Splitter has parsed the root header block
 * (CRLF or bare LF, an mbox "From " line tolerated) and hands back that block as a mailsplit
 * `Headers` object, the bytes read so far and the rest of the stream, so a caller can stream the
 * body on without buffering it. The body is never parsed. A header section over `limit` bytes
 * (as the Splitter counts them), or one the message ends inside, is reported as not found and
 * the bytes read are handed back untouched. Only a failing source rejects.
 */
import type { Readable, Transform } from 'node:stream';
import { type Headers, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';

export const HEADER_BLOCK_LIMIT = 64 * 1024;

type Chunk = Uint8Array | string;

export interface HeaderSplit {
  /** The root header block, its `build()` still the raw bytes; undefined when not found. */
  readonly headers: Headers | undefined;
  /** How many bytes of `read` are the header section (with the empty line that ends it). */
  readonly sectionLength: number;
  /** Every byte read from the source so far: the section and whatever followed it. */
  readonly read: Buffer;
  /** The source, positioned just after `read`. */
  readonly rest: AsyncIterator<Chunk>;
}

const toBuffer = (chunk: Chunk) =>
  typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);

/** Write to the Splitter; false when it fails (header over its maxHeadSize). */
function feed(splitter: Splitter, chunk: Buffer | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (err?: Error | null) => setImmediate(() => resolve(!err)); // let pushed nodes flow first
    if (chunk === undefined) splitter.end(done);
    else splitter.write(chunk, done);
  });
}

/** Read `source` until its header section has been parsed (see the module comment). */
export async function splitHeaderSection(
  source: AsyncIterable<Chunk>,
  limit = HEADER_BLOCK_LIMIT,
): Promise<HeaderSplit> {
  const splitter = new Splitter({ maxHeadSize: limit, ignoreEmbedded: true });
  let root: Headers | undefined;
  splitter.on('data', (chunk: SplitterChunk) => {
    if (root === undefined && chunk.type === 'node' && chunk.headers) root = chunk.headers;
  });
  // A failed write resolves feed() with false (the typings only declare 'data' on the Splitter).
  (splitter as Transform).on('error', () => {});
  const rest = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  try {
    while (root === undefined) {
      const next = await rest.next();
      if (next.done) {
        // The Splitter emits the root at the end even without an empty line: not a header section.
        await feed(splitter, undefined);
        return { headers: undefined, sectionLength: 0, read: Buffer.concat(chunks), rest };
      }
      const chunk = toBuffer(next.value);
      chunks.push(chunk);
      if (!(await feed(splitter, chunk))) break;
    }
  } finally {
    splitter.destroy();
  }
  const read = Buffer.concat(chunks);
  if (root === undefined) return { headers: undefined, sectionLength: 0, read, rest };
  return { headers: root, sectionLength: root.build().length, read, rest };
}

/**
 * The raw header block of a stored message for the rules: the section up to and including the
 * empty line that ends it; when it is over `limit` or never ends, the first `limit` bytes read.
 * The stream is destroyed afterwards; only a failing stream rejects.
 */
export async function readHeaderBlock(stream: Readable, limit = HEADER_BLOCK_LIMIT): Promise<Buffer> {
  try {
    const split = await splitHeaderSection(stream, limit);
    return split.headers === undefined
      ? split.read.subarray(0, limit)
      : split.read.subarray(0, split.sectionLength);
  } finally {
    stream.destroy();
  }
}

/**
 * Reads a request body under a byte limit (413 past it, without buffering the rest) and parses it
 * by content type: JSON for the API (`application/json`, else 415), urlencoded forms for the
 * WebAdmin (`application/x-www-form-urlencoded`, else 415). Malformed JSON is 400.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const mediaType = (req: IncomingMessage): string =>
  (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** True when the request says it carries a body. */
export const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export async function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The JSON body, or undefined when there is none. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  if (mediaType(req) !== 'application/json') {
    throw new HttpError(415, 'send the request body as application/json');
  }
  const raw = await readRaw(req, maxBytes);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON', 'body');
  }
}

/** The urlencoded form's fields (the last value of a repeated name wins). */
export async function readForm(req: IncomingMessage, maxBytes: number): Promise<Record<string, string>> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'send the form as application/x-www-form-urlencoded');
  }
  const raw = await readRaw(req, maxBytes);
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}

/**
 * ContentFilter over rspamd's HTTP protocol: POST /checkv2 with the message as the body and the
 * envelope as headers (IP, Helo, From, one Rcpt per recipient, User, Queue-Id, MTA-Name). The
 * whole request, body upload included, runs under one timeout; a timeout, a refused connection,
 * a non-200 answer or a reply without a known action rejects the scan (the caller falls back).
 */
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ContentFilter,
  FILTER_ACTIONS,
  type FilterAction,
  type FilterEnvelope,
  type FilterResult,
  type FilterSymbol,
} from '../../core/ports/content-filter.ts';

export interface RspamdOptions {
  /** Base URL of rspamd's normal worker, e.g. http://127.0.0.1:11333. */
  readonly url: string;
  readonly timeoutMs: number;
}

function envelopeHeaders(env: FilterEnvelope): Record<string, string | string[]> {
  return {
    'content-type': 'message/rfc822',
    IP: env.ip,
    Helo: env.helo,
    From: env.mailFrom,
    Rcpt: [...env.recipients],
    'Queue-Id': env.queueId,
    ...(env.user !== undefined ? { User: env.user } : {}),
    ...(env.hostname !== undefined ? { 'MTA-Name': env.hostname } : {}),
  };
}

function isAction(a: unknown): a is FilterAction {
  return typeof a === 'string' && (FILTER_ACTIONS as readonly string[]).includes(a);
}

/** rspamd's JSON reply as a FilterResult; throws on a reply without a known action. */
export function parseRspamdReply(json: unknown): FilterResult {
  const r = (json ?? {}) as Record<string, unknown>;
  if (!isAction(r.action)) throw new Error(`rspamd answered without a known action: ${String(r.action)}`);
  const symbols: FilterSymbol[] = [];
  if (r.symbols && typeof r.symbols === 'object') {
    for (const [name, s] of Object.entries(r.symbols as Record<string, { score?: unknown }>)) {
      symbols.push({ name, score: typeof s?.score === 'number' ? s.score : 0 });
    }
  }
  const messages = (r.messages ?? {}) as Record<string, unknown>;
  const reason = typeof messages.smtp_message === 'string' ? messages.smtp_message : undefined;
  const subject = typeof r.subject === 'string' ? r.subject : undefined;
  return {
    action: r.action,
    score: typeof r.score === 'number' ? r.score : 0,
    requiredScore: typeof r.required_score === 'number' ? r.required_score : 0,
    symbols,
    ...(reason !== undefined ? { reason } : {}),
    ...(subject !== undefined ? { subject } : {}),
  };
}

export function rspamdFilter(options: RspamdOptions): ContentFilter {
  const endpoint = new URL('/checkv2', options.url);
  return {
    name: 'rspamd',
    async scan(open: () => Promise<Readable>, envelope: FilterEnvelope): Promise<FilterResult> {
      const signal = AbortSignal.timeout(options.timeoutMs);
      const body = await open();
      const reply = new Promise<string>((resolve, reject) => {
        const req = request(
          endpoint,
          { method: 'POST', headers: envelopeHeaders(envelope), signal },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 200) reject(new Error(`rspamd answered HTTP ${res.statusCode}`));
              else resolve(text);
            });
          },
        );
        req.on('error', reject);
        pipeline(body, req).catch(reject);
      });
      try {
        return parseRspamdReply(JSON.parse(await reply));
      } finally {
        body.destroy();
      }
    },
  };
}

/**
 * Writing answers: JSON (API), HTML pages, redirects (303, POST-redirect-GET) and the error
 * answers of each kind. Every answer carries the security headers (headers.ts).
 */
import type { ServerResponse } from 'node:http';
import { setSecurityHeaders } from './headers.ts';

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  setSecurityHeaders(res);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (status === 204 || value === undefined) {
    res.writeHead(status === 200 ? 204 : status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
}

export function sendHtml(res: ServerResponse, status: number, body: string): void {
  setSecurityHeaders(res);
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end(body);
}

export function redirect(res: ServerResponse, location: string): void {
  setSecurityHeaders(res);
  res.writeHead(303, { Location: location }).end();
}

/** Adds a Set-Cookie header without dropping the ones already set. */
export function appendCookie(res: ServerResponse, cookie: string): void {
  const prev = res.getHeader('Set-Cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}

/**
 * The headers every admin response carries: a CSP that allows only the process's own scripts,
 * styles and images (no inline script, no framing), no MIME sniffing, no referrer, HSTS; and
 * `Cache-Control: no-store` on everything but the static assets.
 */
import type { ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function setSecurityHeaders(res: ServerResponse, cacheable = false): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cache-Control', cacheable ? 'public, max-age=3600' : 'no-store');
}

/**
 * Who is calling: an `Authorization: Bearer <token>` header (API tokens) or the `strato_session`
 * cookie (WebAdmin and API sessions, HttpOnly; Secure; SameSite=Strict; Path=/), resolved through
 * the access layer. A Bearer header that is not a valid token is a refusal, never a fallback to
 * the cookie. Also decides whether a principal may call a route (role, domain scope).
 */
import type { IncomingMessage } from 'node:http';
import { domainOf, parseAddress } from '../../../core/mail/address.ts';
import type { AdminAccess, Principal } from './access-types.ts';
import { HttpError } from './errors.ts';
import type { RouteAccess } from './route.ts';

export const SESSION_COOKIE = 'strato_session';
export const FLASH_COOKIE = 'strato_flash';

export interface Caller {
  readonly principal: Principal;
  /** Set for cookie sessions (unsafe methods must echo it); tokens need none. */
  readonly csrfToken: string | undefined;
  readonly sessionToken: string | undefined;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      if (!(name in out)) out[name] = decodeURIComponent(raw);
    } catch {
      // a cookie that does not decode is ignored
    }
  }
  return out;
}

export function sessionCookie(token: string, expiresAt: number, now = Date.now()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
}

export function clearedCookie(name: string): string {
  return `${name}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`;
}

export function flashCookie(message: string): string {
  return `${FLASH_COOKIE}=${encodeURIComponent(message.slice(0, 300))}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=60`;
}

/** The caller, or undefined when the request carries no valid credentials. */
export async function authenticate(req: IncomingMessage, access: AdminAccess): Promise<Caller | undefined> {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const principal = m ? await access.tokenPrincipal(m[1]!) : undefined;
    return principal ? { principal, csrfToken: undefined, sessionToken: undefined } : undefined;
  }
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return undefined;
  const session = await access.sessionPrincipal(token);
  return session
    ? { principal: session.principal, csrfToken: session.csrfToken, sessionToken: token }
    : undefined;
}

/**
 * The domain of an address as the use cases read it (parsed and normalised), so the scope check
 * and the change name the same domain; an address that does not parse gets its text after the
 * last "@" (it matches no domain unless it would, and the use case refuses it anyway).
 */
function addressDomain(address: string): string {
  const parsed = parseAddress(address);
  return parsed.ok
    ? domainOf(parsed.value.address)
    : address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Throws 403 unless `principal` may call a route with this access rule and these params. */
export function authorize(principal: Principal, rule: RouteAccess, params: Record<string, unknown>): void {
  if (rule === 'public' || rule === 'any' || principal.role === 'cluster') return;
  if (rule === 'cluster') throw new HttpError(403, 'only cluster administrators may do this');
  const domain =
    'domainParam' in rule
      ? String(params[rule.domainParam] ?? '').toLowerCase()
      : addressDomain(String(params[rule.addressParam] ?? ''));
  if (!principal.domains.some((d) => d.toLowerCase() === domain)) {
    throw new HttpError(403, `you do not administer domain ${domain}`);
  }
}

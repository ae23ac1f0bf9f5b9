/**
 * The Received trace header intake prepends to every accepted message (RFC 5321 §4.4), and the
 * RFC 5322 date it carries. Pure formatting: values that came from the client (HELO name,
 * recipient) are stripped of anything that could break the header, so this never fails.
 */

export interface ReceivedInfo {
  /** The name the client gave in HELO/EHLO. */
  readonly helo: string;
  /** The client's IP address as the socket reports it (IPv4-mapped IPv6 is shown as IPv4). */
  readonly ip: string;
  /** Our host name. */
  readonly hostname: string;
  /** HELO (not EHLO) sessions are plain SMTP. */
  readonly esmtp: boolean;
  readonly tls: boolean;
  readonly authenticated: boolean;
  /** The authenticated account, named in a comment after the client (who sent it is recorded). */
  readonly authUser?: string;
  readonly queueId: string;
  /** Named in the header only when the message has exactly one recipient (RFC 5321 privacy note). */
  readonly recipient?: string;
  readonly date: Date;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "Thu, 27 Nov 2025 09:05:03 +0000" (always UTC, so it is independent of the host's zone). */
export function formatRfc5322Date(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** RFC 3848 protocol keyword: ESMTP, plus S for TLS and A for an authenticated session. */
export function protocolName(info: Pick<ReceivedInfo, 'esmtp' | 'tls' | 'authenticated'>): string {
  if (!info.esmtp) return 'SMTP';
  return `ESMTP${info.tls ? 'S' : ''}${info.authenticated ? 'A' : ''}`;
}

/** "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 address literal). */
export function addressLiteral(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return `[${mapped[1]}]`;
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
}

/** Keep header-safe characters only: no controls, no spaces, no comment/angle delimiters. */
function clean(text: string): string {
  const out = text.replace(/[\s\p{Cc}()<>;]/gu, '');
  return out.length > 0 ? out : 'unknown';
}

/**
 * The complete header with its CRLF, folded so each line stays short:
 * `Received: from <helo> ([ip])\r\n\tby <host> (Strato) with ESMTPS id <id>\r\n\tfor <rcpt>; <date>\r\n`;
 * after an AUTH, `(authenticated as <account>)` follows the client part (with ESMTPA/ESMTPSA, RFC 3848).
 */
export function formatReceivedHeader(info: ReceivedInfo): string {
  const client = `from ${clean(info.helo)} (${addressLiteral(clean(info.ip))})`;
  const from =
    info.authUser !== undefined ? `${client}\r\n\t(authenticated as ${clean(info.authUser)})` : client;
  const by = `by ${clean(info.hostname)} (Strato) with ${protocolName(info)} id ${clean(info.queueId)}`;
  const forPart = info.recipient !== undefined ? `for <${clean(info.recipient)}>` : undefined;
  const date = formatRfc5322Date(info.date);
  const tail = forPart ? `\r\n\t${forPart}; ${date}` : `;\r\n\t${date}`;
  return `Received: ${from}\r\n\t${by}${tail}\r\n`;
}

/**
 * The one catalogue of SMTP replies Strato gives, with RFC 3463 enhanced status codes, and the
 * mapping from per-recipient outcomes to replies. Protocol layers (SMTP intake, LMTP) never
 * invent codes: they call these functions, so one change here changes every path alike.
 */
import type { RecipientOutcome, Reply, RetriedAccountState } from './outcome.ts';

const r = (code: number, enhanced: string, text: string): Reply => ({ code, enhanced, text });

export const replies = {
  accepted: (jobId: string) => r(250, '2.0.0', `Ok: queued as ${jobId}`),
  senderOk: () => r(250, '2.1.0', 'Sender ok'),
  recipientOk: () => r(250, '2.1.5', 'Recipient ok'),
  delivered: () => r(250, '2.0.0', 'Delivered'),

  badSender: (reason: string) => r(501, '5.1.7', `Bad sender address: ${reason}`),
  /** RFC 6531 §3.5: a non-ASCII address in a transaction that did not ask for SMTPUTF8. */
  utf8AddressNeedsSmtpUtf8: (address: string) =>
    r(553, '5.6.7', `<${address}>: non-ASCII address needs the SMTPUTF8 parameter on MAIL FROM`),
  /** Relay: the next hop does not offer SMTPUTF8 and the message needs it (a DSN follows). */
  nextHopLacksSmtpUtf8: (host: string) =>
    r(553, '5.6.7', `SMTPUTF8 message, but the next hop ${host} does not offer SMTPUTF8`),
  /** RFC 5321 §4.5.1 wants postmaster accepted: this names what the operator must set. */
  postmasterUnconfigured: (address: string) =>
    r(
      550,
      '5.1.1',
      `<${address}>: no postmaster configured: set the domain's postmaster (strato domain set <domain> postmaster <address>) or STRATO_POSTMASTER`,
    ),
  badRecipient: (reason: string) => r(501, '5.1.3', `Bad recipient address: ${reason}`),
  unknownUser: (address: string) => r(550, '5.1.1', `<${address}>: Recipient address rejected: no such user`),
  mailboxDisabled: (address: string) =>
    r(550, '5.2.1', `<${address}>: mailbox disabled, not accepting messages`),
  mailboxFull: (address: string) => r(452, '4.2.2', `<${address}>: mailbox full (quota exceeded)`),
  relayDenied: (address: string) => r(554, '5.7.1', `<${address}>: Relay access denied`),
  /** An external recipient SES reported (core/ports/suppressions.ts), to an authenticated sender. */
  recipientSuppressed: (address: string, reason: 'bounce' | 'complaint') =>
    r(
      550,
      '5.1.1',
      `<${address}>: address suppressed after a ${reason} (SES); ask the postmaster to remove it`,
    ),
  ipLiteralRefused: (address: string) =>
    r(550, '5.7.1', `<${address}>: IP-literal recipient addresses are not accepted`),
  // Sender binding (core/intake/sender-binding.ts): an authenticated user sends as its own addresses.
  senderNotOwned: (address: string, user: string) =>
    r(553, '5.7.1', `<${address}>: sender address not owned by authenticated user ${user}`),
  headerSenderNotOwned: (field: string, address: string, user: string) =>
    r(550, '5.7.1', `${field} header address <${address}> not owned by authenticated user ${user}`),
  headerSenderUnreadable: (field: string, user: string) =>
    r(550, '5.7.1', `${field} header has no address that can be checked for authenticated user ${user}`),
  generatedIdRefused: (param: string) => r(555, '5.5.4', `${param} is accepted from trusted networks only`),
  generatedIdInvalid: (param: string) => r(501, '5.5.4', `${param} must be a queue id`),
  authRequired: () => r(530, '5.7.0', 'Authentication required'),
  authFailed: () => r(535, '5.7.8', 'Authentication credentials invalid'),
  tlsRequired: () => r(530, '5.7.0', 'Must issue a STARTTLS command first'),
  /** EXPN (and any command we recognise but never serve): RFC 5321 §3.5.3 allows 502. */
  notImplemented: (command: string) => r(502, '5.5.1', `${command} is not implemented`),
  tooManyRecipients: (max: number) => r(452, '4.5.3', `Too many recipients (at most ${max} per message)`),
  messageTooBig: (limit: number) =>
    r(552, '5.3.4', `Message size exceeds fixed maximum message size (${limit} bytes)`),
  /** A header limit crossed (header-limits.ts): which one, and its value. */
  headerTooBig: (limit: 'field-size' | 'section-size' | 'field-count', max: number) =>
    r(
      552,
      '5.3.4',
      limit === 'field-count'
        ? `Message header has too many fields (limit ${max} fields)`
        : limit === 'field-size'
          ? `Message header field too long (limit ${max} bytes per field)`
          : `Message header section too large (limit ${max} bytes)`,
    ),
  messageTooBigForRecipient: (address: string, limit: number) =>
    r(552, '5.2.3', `<${address}>: message exceeds the recipient's size limit (${limit} bytes)`),
  noValidRecipients: () => r(554, '5.5.1', 'No valid recipients'),
  loopDetected: (hops: number) => r(554, '5.4.6', `Too many hops (${hops}): mail loop?`),
  localError: () => r(451, '4.3.0', 'Requested action aborted: local error in processing, try again later'),
  queueFull: () => r(452, '4.3.1', 'Insufficient system storage: the mail queue is full, try again later'),
  shuttingDown: () => r(421, '4.3.2', 'Service shutting down, try again later'),
  // A job received maxReceiveCount times without an ack (repeated processor deaths): RFC 3463 X.3.0.
  deadLettered: (receives: number) =>
    r(
      554,
      '5.3.0',
      `processing failed repeatedly (${receives} attempts without a result); kept for the administrator`,
    ),

  // Account state and sender limits (the cluster model's MailInpFlow, MailOutFlow, MaxMailOutSize).
  mailInpFlow: (address: string, count: number, seconds: number) =>
    r(
      450,
      '4.2.1',
      `<${address}>: MailInpFlow limit of ${count} messages per ${seconds} seconds reached, try again later`,
    ),
  mailOutFlow: (user: string, count: number, seconds: number) =>
    r(
      452,
      '4.7.1',
      `<${user}>: MailOutFlow limit of ${count} messages per ${seconds} seconds reached, try again later`,
    ),
  mailOutSize: (user: string, limit: number) =>
    r(552, '5.3.4', `<${user}>: message size exceeds the sender's MaxMailOutSize of ${limit} bytes`),
  // Abuse limits of the public listeners (README "Security"): each reply names its limit.
  authLocked: (scope: 'address' | 'account', limit: number, seconds: number) =>
    r(
      454,
      '4.7.0',
      `Too many failed authentication attempts for this ${scope} (limit ${limit} per ${seconds} seconds), try again later`,
    ),
  /** A frontend task's listener is at its session cap (STRATO_MAX_CLIENTS): another task may take it. */
  tooManyClients: (limit: number) =>
    r(421, '4.3.2', `Too many connected clients on this server (limit ${limit}), try again in a moment`),
  tooManySessions: (limit: number) =>
    r(421, '4.7.0', `Too many concurrent sessions from your address (limit ${limit}), try again later`),
  addressRate: (what: 'messages' | 'recipients', limit: number, seconds: number) =>
    r(
      450,
      '4.7.1',
      `Too many ${what} from your address (limit ${limit} per ${seconds} seconds), try again later`,
    ),
  sessionLimit: (what: string, limit: number) =>
    r(421, '4.7.0', `Too many ${what} in this session (limit ${limit}), closing connection`),
  sessionTooLong: (seconds: number) =>
    r(421, '4.7.0', `Session longer than ${seconds} seconds (the limit), closing connection`),
  // Rules: a Reject action (cluster rules at DATA, account rules at delivery) and SRS addresses.
  rejectedByRule: (text: string) => r(550, '5.7.1', text),
  // Content filter (end of DATA, core/intake/content-scan.ts): its reject, soft reject, or no answer.
  spamRejected: (reason: string) => r(550, '5.7.1', `Message refused as spam: ${reason}`),
  spamDeferred: (reason: string) =>
    r(451, '4.7.1', `Message deferred by the content filter: ${reason}, try again later`),
  filterUnavailable: () => r(451, '4.7.1', 'Content filter unavailable, try again later'),
  // Inbound authentication (MX port, end of DATA) and the DNSBL check (connect).
  dmarcReject: (domain: string) =>
    r(550, '5.7.1', `Message refused: DMARC policy of ${domain} is reject and the message failed DMARC`),
  spfFailReject: (domain: string, ip: string) =>
    r(550, '5.7.1', `Message refused: SPF of ${domain} does not permit ${ip} (spf=fail)`),
  dnsblListed: (ip: string, zone: string) =>
    r(554, '5.7.1', `Service unavailable: client ${ip} is listed in ${zone}`),
  badSrsAddress: (address: string, reason: string) =>
    r(550, '5.7.1', `<${address}>: not a valid bounce address (${reason})`),

  // Delivery (backend and queue) replies.
  mailboxDisabledTemporarily: (address: string) =>
    r(450, '4.2.1', `<${address}>: mail service disabled for this account, will retry`),
  accountInUse: (account: string, owner: string) =>
    r(451, '4.2.0', `<${account}>: account is open on backend=${owner}`),
  /** The account's HomeBackend is another backend: same code as accountInUse (the fact names it). */
  accountHomedElsewhere: (account: string, home: string) =>
    r(451, '4.2.0', `<${account}>: account lives on its home backend=${home}`),
  noBackend: (reason: string) => r(451, '4.4.0', `No backend can take the account now: ${reason}`),
  backendUnreachable: (backend: string, detail: string) =>
    r(451, '4.4.1', `Backend ${backend} unreachable: ${detail}`),
  /** A backend that stops gracefully refuses new transactions: its accounts are moving. */
  backendStopping: (backend: string) =>
    r(451, '4.3.2', `Backend ${backend} is stopping, its accounts are moving; try again`),
  leaseLost: (account: string) =>
    r(451, '4.2.0', `<${account}>: account moved to another backend, will retry`),
  /** Direct MX delivery (adapters/net/mx-relay.ts): the answers given without a remote reply. */
  nullMx: (domain: string) =>
    r(556, '5.1.10', `Recipient address rejected: ${domain} accepts no mail (null MX)`),
  mxLookupFailed: (why: string) => r(451, '4.4.3', `Mail exchanger lookup failed: ${why}`),
  mxUnreachable: (domain: string, why: string) =>
    r(451, '4.4.1', `No mail exchanger of ${domain} took the connection: ${why}`),
  mxBackingOff: (domain: string, why: string) =>
    r(451, '4.4.1', `Delivery to ${domain} deferred after a recent failure: ${why}`),
  mtaStsRefused: (domain: string, why: string) =>
    r(451, '4.7.5', `MTA-STS policy of ${domain} (enforce) not met: ${why}`),
  smtputf8Unsupported: (host: string) =>
    r(553, '5.6.7', `Message needs SMTPUTF8 but ${host} does not support it`),
  eightBitUnsupported: (host: string) =>
    r(554, '5.6.3', `Message is 8-bit (BODY=8BITMIME) but ${host} does not support 8BITMIME`),
  mxSessionLost: (host: string, why: string) => r(451, '4.4.2', `Connection to ${host} lost: ${why}`),
  /** The outbound routing table (core/queue/routing-relay.ts): a route this process cannot use. */
  routeUnusable: (destination: string, why: string) =>
    r(451, '4.3.5', `Route for ${destination} cannot be used by this queue processor: ${why}`),
  routesUnreadable: (why: string) => r(451, '4.3.0', `Outbound routing table could not be read: ${why}`),
  /** A smarthost that refuses our AUTH: a configuration problem, so retried (the mail stays queued). */
  smarthostAuthRefused: (detail: string) => r(451, '4.7.8', `smarthost refused AUTH: ${detail}`),
  relayFailed: (route: string, why: string) => r(451, '4.3.0', `Relay through ${route} failed: ${why}`),
  expired: (last: string) => r(554, '5.4.7', `Delivery time expired; last error: ${last}`),
  /** DisabledRetry / FullRetry ran out: the temporary account state becomes a bounce. */
  accountStateExpired: (state: RetriedAccountState, address: string, seconds: number) =>
    state === 'disabled'
      ? r(550, '5.2.1', `<${address}>: mail service disabled for this account for over ${seconds} seconds`)
      : r(552, '5.2.2', `<${address}>: mailbox full (quota exceeded) for over ${seconds} seconds`),
} as const;

/** "550 5.1.1 text": the single-line wire form (used in logs, DSNs and LMTP replies). */
export function formatReply(reply: Reply): string {
  return `${reply.code} ${reply.enhanced} ${reply.text}`;
}

/** The reply a protocol layer sends for a recipient's outcome. */
export function replyForOutcome(outcome: RecipientOutcome): Reply {
  if (outcome.kind === 'delivered') return outcome.reply ?? replies.delivered();
  return outcome.reply;
}

/** Parse "451 4.3.0 text" (enhanced code optional) back into a Reply; undefined if not a reply. */
export function parseReply(line: string): Reply | undefined {
  const m = /^([2-5]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/s.exec(line.trim());
  if (!m) return undefined;
  const code = Number(m[1]);
  return r(code, m[2] ?? `${String(code)[0]}.0.0`, m[3] ?? '');
}

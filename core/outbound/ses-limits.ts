/**
 * Amazon SES v2 limits the intake and the SES relay must agree on. SendEmail (API v2) takes a raw
 * message of at most 40 MB *after* base64 encoding (the request carries Content.Raw.Data as
 * base64), so the raw message may be at most 3/4 of that: 30 MiB. The old v1 / SMTP-interface limit
 * of 10 MiB no longer applies. Pure numbers, no failure modes.
 */

/** SES v2's request limit for a raw message, after base64 encoding (40 MB, counted as MiB). */
export const SES_MAX_ENCODED_BYTES = 40 * 1024 * 1024;

/** The largest raw message SES v2 takes: base64 turns every 3 bytes into 4. */
export const SES_MAX_RAW_BYTES = Math.floor((SES_MAX_ENCODED_BYTES / 4) * 3);

/**
 * Room for what the relay path adds after intake (Received, DKIM-Signature, a From rewrite with
 * Reply-To and X-Original-From): an intake limit at most SES_MAX_RAW_BYTES minus this never produces
 * a message SES refuses for its size.
 */
export const SES_RELAY_HEADROOM_BYTES = 64 * 1024;

/** The largest intake limit (STRATO_MAX_MESSAGE_SIZE) a cluster relaying through SES can accept. */
export const SES_MAX_INTAKE_BYTES = SES_MAX_RAW_BYTES - SES_RELAY_HEADROOM_BYTES;

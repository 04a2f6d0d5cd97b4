/**
 * Classifies Redis errors by what the server put first in its error reply (`NOGROUP`, `NOSCRIPT`,
 * `WRONGPASS`, `ERR`, …: the error code Redis documents), and TLS failures by Node's error `code`, never
 * by matching whole message texts. Only a reply that is a plain `ERR` (Redis gives no better code) is
 * told apart by its documented detail text.
 */

/** A Redis error reply: its code (the first word) and the rest. */
export interface RedisReply {
  readonly code: string;
  readonly detail: string;
}

/** The error reply `err` carries, when it is one (ioredis's `ReplyError`); undefined otherwise. */
export function replyErrorOf(err: unknown): RedisReply | undefined {
  if (!(err instanceof Error) || err.name !== "ReplyError") return undefined;
  const space = err.message.indexOf(" ");
  return space < 0
    ? { code: err.message, detail: "" }
    : { code: err.message.slice(0, space), detail: err.message.slice(space + 1) };
}

/**
 * An error reply Redis gave inside a script (`redis.pcall`'s error, returned as text), as the same kind of
 * error ioredis gives for a command's own error reply, so {@link replyErrorOf} classifies both alike.
 */
export function scriptReplyError(text: string): Error {
  const err = new Error(text);
  err.name = "ReplyError";
  return err;
}

/** True when `err` is a Redis error reply with this code (`NOGROUP`, `NOSCRIPT`, …). */
export function isReplyError(err: unknown, code: string): boolean {
  return replyErrorOf(err)?.code === code;
}

/** Codes of the replies no retry can fix: a refused password or user, a user without permission. */
const AUTH_CODES = new Set(["WRONGPASS", "NOAUTH", "NOPERM"]);
/** Plain `ERR` replies about authentication (older servers, or AUTH on a server without a password). */
const AUTH_ERR_DETAIL = /^(invalid password|AUTH .*without any password configured|Client sent AUTH)/i;

/** A Node TLS failure (a refused, expired, self-signed or mismatched certificate, a TLS handshake error). */
function isTlsFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" &&
    (code.includes("CERT") || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_"))
  );
}

/** Errors no retry can fix: a refused password or user, a refused certificate. */
export function isConfigurationError(err: unknown): boolean {
  const reply = replyErrorOf(err);
  if (reply)
    return AUTH_CODES.has(reply.code) || (reply.code === "ERR" && AUTH_ERR_DETAIL.test(reply.detail));
  return isTlsFailure(err);
}

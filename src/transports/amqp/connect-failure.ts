/**
 * Connection failures that retrying cannot fix, told apart by the shape of the error amqplib or Node raise,
 * never by the broker's reply text:
 * - the broker refused the login: amqplib's `Handshake terminated by server: 403 (ACCESS-REFUSED) …`, whose
 *   number is the connection.close reply code (reply-code.ts);
 * - the broker refused the vhost: amqplib's `Expected ConnectionOpenOk; got <ConnectionClose …>` (a
 *   connection.close in answer to connection.open, which RabbitMQ only sends as 530 NOT_ALLOWED: the vhost
 *   does not exist, the user may not use it, or its connection limit is reached; amqplib drops the code);
 * - TLS: Node's certificate and handshake error codes (`DEPTH_ZERO_SELF_SIGNED_CERT`,
 *   `ERR_TLS_CERT_ALTNAME_INVALID`, `ERR_SSL_WRONG_VERSION_NUMBER`, …).
 * These end `connect()` at once with a {@link ConnectionClosedError} that names the cause, the URL (password
 * masked) and what to do; anything else (refused, reset, timed out) is retried.
 */
import { ConnectionClosedError } from "../../core/errors.js";
import { maskUrl } from "../../core/redact.js";
import { ACCESS_REFUSED, NOT_ALLOWED, replyCodeOf } from "./reply-code.js";

/** Why a connection cannot be made however often it is tried. */
export type FatalConnectCause = "access-refused" | "vhost-refused" | "tls";

/** The AMQP reply code of a failed connection handshake, from amqplib's error. */
export function handshakeReplyCode(err: unknown): number | undefined {
  const code = replyCodeOf(err);
  if (code !== undefined) return code;
  if (!(err instanceof Error)) return undefined;
  const terminated = /^Handshake terminated by server: (\d{3}) /.exec(err.message);
  if (terminated) return Number(terminated[1]);
  if (/^Expected ConnectionOpenOk; got <ConnectionClose\b/.test(err.message)) return NOT_ALLOWED;
  return undefined;
}

/** True for Node's TLS errors: certificate checks and handshake failures. */
function isTlsError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return /^(ERR_TLS_|ERR_SSL_)/.test(code) || /CERT|_SIGNATURE|HOSTNAME_MISMATCH/.test(code);
}

/** The cause of a connect failure retrying cannot fix, if it is one. */
export function fatalConnectCause(err: unknown): FatalConnectCause | undefined {
  const code = handshakeReplyCode(err);
  if (code === ACCESS_REFUSED) return "access-refused";
  if (code === NOT_ALLOWED) return "vhost-refused";
  return isTlsError(err) ? "tls" : undefined;
}

/** The error `connect()` rejects with for a fatal cause: what failed, where, and what to do. */
export function fatalConnectError(
  cause: FatalConnectCause,
  url: string,
  err: unknown,
): ConnectionClosedError {
  const where = maskUrl(url);
  const u = safeUrl(url);
  const user = u ? decodeURIComponent(u.username || "guest") : "guest";
  const vhost = u && u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : "/";
  const detail = (err as { code?: unknown } | undefined)?.code;
  const text: Record<FatalConnectCause, string> = {
    "access-refused":
      `RabbitMQ at ${where} refused the login of user '${user}' (ACCESS_REFUSED, 403): the user name or ` +
      "password is wrong, or the user may not log in from here. Fix the credentials in the URL (retrying " +
      "cannot help)",
    "vhost-refused":
      `RabbitMQ at ${where} refused vhost '${vhost}' to user '${user}' (NOT_ALLOWED, 530): the vhost does not ` +
      `exist, the user has no permissions on it, or its connection limit is reached. Create it (rabbitmqctl ` +
      `add_vhost), grant access (rabbitmqctl set_permissions -p <vhost> <user> ".*" ".*" ".*"), or fix the ` +
      "URL's path (%2F is the default vhost)",
    tls:
      `TLS to ${where} failed${typeof detail === "string" ? ` (${detail})` : ""}: the broker's certificate is ` +
      "not trusted or not for this host, or the port does not speak TLS. Give the CA in the tls.ca option, " +
      "the expected name in tls.servername, or use the broker's amqps port (retrying cannot help)",
  };
  return new ConnectionClosedError(text[cause], {
    cause: err,
    details: { reason: cause, url: where },
  });
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

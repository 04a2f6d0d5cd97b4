/**
 * Why a connection to a broker failed, in words a person can act on, and whether retrying can help.
 *
 * The transports retry every failed connect (a broker that is starting up is the common case), which hides
 * failures no retry can fix behind "no connection (attempt N)". The CLI names the cause instead: refused
 * credentials (RabbitMQ ACCESS_REFUSED, Redis WRONGPASS/NOAUTH), a virtual host that is missing or not
 * permitted (NOT_ALLOWED), a host name that does not resolve, a TLS failure: all fatal, reported at once; a
 * refused or timed-out TCP connection is reported and retried.
 */
import { MqaError } from "../core/errors.js";
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import type { BrokerTlsOptions } from "../connect.js";

/** A connect failure, explained. */
export interface ConnectFailure {
  /** What went wrong. */
  readonly kind: "credentials" | "vhost" | "permission" | "dns" | "tls" | "refused" | "timeout" | "other";
  /** Retrying cannot help: give up at once. */
  readonly fatal: boolean;
  /** `invalid-options` when what the user gave must change, `connection-closed` otherwise. */
  readonly code: "invalid-options" | "connection-closed";
  /** One sentence: what happened and what to change. No secret. */
  readonly message: string;
}

const TLS_CODE = /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/;
const TLS_TEXT =
  /SSL routines|certificate|self[- ]signed|wrong version number|Hostname\/IP does not match|unable to verify/i;

function parts(url: string): { host: string; user: string; vhost: string } {
  try {
    const u = new URL(url);
    return {
      host: u.host,
      user: decodeURIComponent(u.username) || (u.protocol.startsWith("amqp") ? "guest" : "default"),
      vhost: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : "/",
    };
  } catch {
    return { host: "?", user: "?", vhost: "/" };
  }
}

/** Explain `err` (an Error, or a transport's `lastError` text) from connecting to `url`. */
export function explainConnectFailure(err: unknown, url: string): ConnectFailure {
  const message = maskSecretsInText(err instanceof Error ? err.message : String(err)).trim();
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const code = typeof errno === "string" ? errno : (/\b(E[A-Z]{4,}|ERR_[A-Z_]+)\b/.exec(message)?.[1] ?? "");
  const { host, user, vhost } = parts(url);
  const where = maskUrl(url);
  const fatal = (kind: ConnectFailure["kind"], text: string): ConnectFailure => ({
    kind,
    fatal: true,
    code: "invalid-options",
    message: text,
  });
  if (/ACCESS.REFUSED|\b403\b/.test(message))
    return fatal(
      "credentials",
      `RabbitMQ at ${where} refused the login of user '${user}' (ACCESS_REFUSED): wrong user name or password ` +
        "(give them in the URL, --password-file or MQA_BROKER_USERNAME / MQA_BROKER_PASSWORD)",
    );
  if (/NOT.ALLOWED|\b530\b|Expected ConnectionOpenOk; got <ConnectionClose/.test(message))
    return fatal(
      "vhost",
      `RabbitMQ at ${where} refused to open virtual host '${vhost}' for user '${user}' (NOT_ALLOWED): the vhost ` +
        "does not exist or the user has no permission on it (the vhost is the URL's path; / is %2F)",
    );
  if (/WRONGPASS|NOAUTH|invalid username-password|invalid password/i.test(message))
    return fatal(
      "credentials",
      `Redis at ${where} refused the user or password (${message.split("\n")[0]}): give them in the URL, ` +
        "--password-file or MQA_BROKER_USERNAME / MQA_BROKER_PASSWORD",
    );
  if (/NOPERM/.test(message))
    return fatal(
      "permission",
      `Redis at ${where}: the user '${user}' may not run mqa's commands (${message})`,
    );
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME")
    return fatal("dns", `cannot resolve the host of ${where} (${code}): check the host name`);
  if (TLS_CODE.test(code) || TLS_TEXT.test(message))
    return fatal(
      "tls",
      `TLS with ${where} failed: ${message.split("\n")[0]}; check that the port speaks TLS, give the broker's CA ` +
        "with --tls-ca and its certificate's name with --tls-servername",
    );
  if (code === "ECONNREFUSED")
    return {
      kind: "refused",
      fatal: false,
      code: "connection-closed",
      message: `nothing accepts connections at ${host} (ECONNREFUSED): is the broker running, and the port right?`,
    };
  if (code === "ETIMEDOUT" || /timed? ?out/i.test(message))
    return {
      kind: "timeout",
      fatal: false,
      code: "connection-closed",
      message: `no answer from ${host} (${message}): a firewall, a wrong host, or the broker is overloaded`,
    };
  return {
    kind: "other",
    fatal: false,
    code: "connection-closed",
    message: `connecting to ${where} failed: ${message}`,
  };
}

/** The failure as an error to throw. */
export function connectFailureError(failure: ConnectFailure, cause?: unknown): MqaError {
  return new MqaError(failure.code, failure.message, cause === undefined ? {} : { cause });
}

/**
 * Try one connection to `url` (AMQP or Redis) to learn why connecting fails: undefined when it connects, or
 * for other schemes.
 */
export async function probeConnect(
  url: string,
  tls: BrokerTlsOptions | undefined,
  timeoutMs = 5000,
): Promise<ConnectFailure | undefined> {
  if (/^amqps?:/i.test(url)) return probeAmqp(url, tls, timeoutMs);
  if (!/^rediss?:/i.test(url)) return undefined;
  const { connectRedisAdmin } = await import("../brokers/redis-admin.js");
  try {
    const admin = await connectRedisAdmin(url, { timeoutMs, ...(tls ? { tls } : {}) });
    await admin.close();
    return undefined;
  } catch (err) {
    return explainConnectFailure(MqaError.is(err) && err.cause !== undefined ? err.cause : err, url);
  }
}

/**
 * Try one AMQP connection to `url` to learn why connecting fails (the transport retries without saying):
 * undefined when it connects. Bounded by `timeoutMs`; the connection is closed at once.
 */
export async function probeAmqp(
  url: string,
  tls: BrokerTlsOptions | undefined,
  timeoutMs = 5000,
): Promise<ConnectFailure | undefined> {
  const { default: amqplib } = await import("amqplib");
  const secure = /^amqps:/i.test(url);
  try {
    const model = await amqplib.connect(url, {
      timeout: timeoutMs,
      ...(secure && tls ? tls : {}),
    });
    await model.close().catch(() => undefined);
    return undefined;
  } catch (err) {
    return explainConnectFailure(err, url);
  }
}

/**
 * `err` from a connect, in the CLI's words (naming its flags) when its cause is one no retry can fix, else
 * unchanged (a timeout keeps its own message).
 */
export function explainedFatalError(err: unknown, url: string): unknown {
  const root = MqaError.is(err) && err.cause !== undefined ? err.cause : err;
  const failure = explainConnectFailure(root, url);
  return failure.fatal ? connectFailureError(failure, root) : err;
}

/**
 * For a command that connects once (tail, bench): `err` as an error naming its cause when it is a connect
 * failure, else `err` unchanged. An `MqaError` other than `connection-closed` already says what is wrong.
 */
export function explainedConnectError(err: unknown, url: string): unknown {
  if (MqaError.is(err) && err.code !== "connection-closed") return err;
  const root = MqaError.is(err) && err.cause !== undefined ? err.cause : err;
  const failure = explainConnectFailure(root, url);
  return failure.kind === "other" ? err : connectFailureError(failure, root);
}

/**
 * The transport a hands-on command (publish, consume, demo) talks through. A person at a terminal should not
 * stare at 30 silent seconds when the URL is wrong or the broker is down: the first connect gives up after
 * 10 s (`MQA_CONNECT_TIMEOUT_MS` changes it), every failed attempt is reported on stderr as it happens with
 * its cause, and a cause no retry can fix (refused credentials, a missing vhost, DNS, TLS) ends the connect
 * at once (connect-failure.ts).
 */
import { createTransport, type ConnectOptions } from "../connect.js";
import { InvalidOptionsError, type MqaError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import type { Transport } from "../core/transport.js";
import {
  connectFailureError,
  explainConnectFailure,
  explainedFatalError,
  probeConnect,
  type ConnectFailure,
} from "./connect-failure.js";

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function connectTimeoutMs(): number {
  const raw = process.env["MQA_CONNECT_TIMEOUT_MS"];
  if (raw === undefined || raw === "") return DEFAULT_CONNECT_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new InvalidOptionsError(`MQA_CONNECT_TIMEOUT_MS must be a positive integer (ms), not "${raw}"`);
  return ms;
}

/** A transport, and the first failure no retry can fix once one is seen (the promise stays pending until then). */
interface Watched {
  transport: Transport;
  fatal: Promise<MqaError>;
}

/** A transport for `broker` (not yet connected) that says on stderr, with the cause, while it (re)connects. */
async function watch(broker: string, options: ConnectOptions): Promise<Watched> {
  const transport = await createTransport(broker, {
    ...options,
    initialConnectTimeoutMs: connectTimeoutMs(),
  });
  let reportFatal: (err: MqaError) => void = () => undefined;
  const fatal = new Promise<MqaError>((resolve) => (reportFatal = resolve));
  let diagnosed = false;
  let known: ConnectFailure | undefined; // the cause seen last, repeated on each retry line
  const retryLine = (attempt: number): void => {
    const why = known ? `: ${known.message}` : "";
    process.stderr.write(
      `mqa: no connection to ${maskUrl(broker)} yet (attempt ${attempt}${why}); retrying\n`,
    );
  };
  // A fatal cause is thrown by connectCli (and printed once, by whoever catches it); others are retried.
  const learn = (failure: ConnectFailure | undefined, attempt: number): void => {
    if (failure?.fatal) return reportFatal(connectFailureError(failure));
    known = failure ?? known;
    retryLine(attempt);
  };
  transport.onStateChange((state) => {
    // A first connect that failed shows as "connecting" attempt 2, 3… (RabbitMQ) or "reconnecting" (Redis).
    const retrying = state.status === "reconnecting" || (state.status === "connecting" && state.attempt > 1);
    if (!retrying) return;
    const lastError = "lastError" in state ? state.lastError : undefined;
    if (lastError) return learn(explainConnectFailure(lastError, broker), state.attempt);
    if (diagnosed) return retryLine(state.attempt);
    // A first connect is retried without saying why: ask once, with a connection of our own.
    diagnosed = true;
    void probeConnect(broker, options.tls).then((failure) => learn(failure, state.attempt));
  });
  return { transport, fatal };
}

/**
 * A connected transport for `broker` that reports each retry with its cause on stderr, and rejects at once,
 * with the cause, on a failure no retry can fix (after closing the transport).
 */
export async function openCliTransport(broker: string, options: ConnectOptions = {}): Promise<Transport> {
  const { transport, fatal } = await watch(broker, options);
  // The transport may know the cause itself (and fail at once): say it in the CLI's words all the same.
  const connecting = transport.connect().catch((err: unknown) => {
    throw explainedFatalError(err, broker);
  });
  const outcome = await Promise.race([
    connecting.then(() => undefined),
    fatal.then((err) => {
      connecting.catch(() => undefined); // it rejects once closed; the cause is what matters
      return err;
    }),
  ]);
  if (outcome === undefined) return transport;
  await transport.close({ timeoutMs: 1000 }).catch(() => undefined);
  throw outcome;
}

/**
 * The transport a hands-on command (publish, consume, demo) talks through. A person at a terminal should not
 * stare at 30 silent seconds when the URL is wrong or the broker is down: the first connect gives up after
 * 10 s (`MQA_CONNECT_TIMEOUT_MS` changes it), and every failed attempt is reported on stderr as it happens.
 */
import { createTransport, type ConnectOptions } from "../connect.js";
import { InvalidOptionsError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import type { Transport } from "../core/transport.js";

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function connectTimeoutMs(): number {
  const raw = process.env["MQA_CONNECT_TIMEOUT_MS"];
  if (raw === undefined || raw === "") return DEFAULT_CONNECT_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new InvalidOptionsError(`MQA_CONNECT_TIMEOUT_MS must be a positive integer (ms), not "${raw}"`);
  return ms;
}

/** A transport for `broker` that says on stderr while it is trying to (re)connect. */
export async function cliTransport(broker: string, options: ConnectOptions = {}): Promise<Transport> {
  const transport = await createTransport(broker, {
    ...options,
    initialConnectTimeoutMs: connectTimeoutMs(),
  });
  transport.onStateChange((state) => {
    // A first connect that failed shows as "connecting" attempt 2, 3… (RabbitMQ) or "reconnecting" (Redis).
    const retrying = state.status === "reconnecting" || (state.status === "connecting" && state.attempt > 1);
    if (!retrying) return;
    const why = "lastError" in state && state.lastError ? `: ${state.lastError}` : "";
    process.stderr.write(
      `mqa: no connection to ${maskUrl(broker)} yet (attempt ${state.attempt}${why}); retrying\n`,
    );
  });
  return transport;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: stop taking work, let in-flight handlers finish and their acks
 * land, close connections, then exit. A second signal, or the timeout, exits at once — the broker then
 * redelivers whatever was unacknowledged, so nothing is lost either way.
 */
import type { Logger } from "pino";

/** Anything with a graceful async stop: a Router (`stop`) or a Transport (`close`). */
export type Stoppable =
  | { stop(options?: { timeoutMs?: number }): Promise<void> }
  | { close(options?: { timeoutMs?: number }): Promise<void> };

export interface ShutdownOptions {
  /** @defaultValue ["SIGTERM", "SIGINT"] */
  signals?: NodeJS.Signals[];
  /** Time allowed for the whole shutdown, ms. Keep it below your orchestrator's kill grace period. @defaultValue 25000 */
  timeoutMs?: number;
  logger?: Logger;
  /** Called after everything stopped (or the timeout); defaults to `process.exit(code)`. */
  exit?: (code: number) => void;
}

/**
 * Stop `targets` in order (routers before their transports) when a signal arrives.
 * Returns a function that removes the handlers.
 */
export function shutdownOnSignals(targets: Stoppable[], options: ShutdownOptions = {}): () => void {
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const timeoutMs = options.timeoutMs ?? 25_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger?.warn({ signal }, "second signal: exiting now; unacked messages will be redelivered");
      exit(130);
      return;
    }
    stopping = true;
    options.logger?.info({ signal, timeoutMs }, "shutting down gracefully");
    const deadline = Date.now() + timeoutMs;
    const run = async (): Promise<void> => {
      for (const t of targets) {
        const left = { timeoutMs: Math.max(0, deadline - Date.now()) };
        if ("stop" in t) await t.stop(left);
        else await t.close(left);
      }
    };
    const timer = setTimeout(() => {
      options.logger?.error(
        { timeoutMs },
        "shutdown timed out; exiting; unacked messages will be redelivered",
      );
      exit(1);
    }, timeoutMs + 1000);
    timer.unref();
    run().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        options.logger?.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}

/**
 * The one cell every transport keeps its {@link ConnectionState} in. State changes only through
 * {@link ConnectionStateCell.set}, which applies the transition rules, logs old → new and tells the
 * listeners, so the amqp connections, the amqp transport, the Redis transport and the memory transport
 * all follow the same rules:
 *
 * - nothing leaves `closed` (a closed transport or connection is never revived);
 * - `closing` only goes to `closed` (a late reconnect or failed start cannot undo a close);
 * - a state equal to the current one (same status and fields) is not emitted again.
 */
import type { Logger } from "pino";
import type { ConnectionState } from "../core/transport.js";

/** Told about every transition, after the state changed. */
export type ConnectionStateListener = (state: ConnectionState, previous: ConnectionState) => void;

/** Whether the rules allow going from `previous` to `next` (an equal state counts as no transition). */
export function allowedTransition(previous: ConnectionState, next: ConnectionState): boolean {
  if (previous.status === "closed") return false;
  if (previous.status === "closing") return next.status === "closed";
  return !sameState(previous, next);
}

function sameState(a: ConnectionState, b: ConnectionState): boolean {
  if (a.status !== b.status) return false;
  const x = a as Partial<Record<"attempt" | "lastError", unknown>>;
  const y = b as Partial<Record<"attempt" | "lastError", unknown>>;
  return x.attempt === y.attempt && x.lastError === y.lastError;
}

/** Holds one connection state; see the module comment for the rules. */
export class ConnectionStateCell {
  private current: ConnectionState = { status: "idle" };
  private readonly listeners = new Set<ConnectionStateListener>();

  /**
   * @param log where transitions are logged (info level, with `from`, `to` and `context`).
   * @param label names the connection in the log message, e.g. `amqp publish connection`.
   * @param context fields added to every transition's log line (no secrets: mask URLs first).
   */
  constructor(
    private readonly log: Logger,
    private readonly label: string,
    private readonly context: Readonly<Record<string, unknown>> = {},
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** Move to `next` if the rules allow it; true when the state changed (and was logged and emitted). */
  set(next: ConnectionState): boolean {
    const previous = this.current;
    if (!allowedTransition(previous, next)) return false;
    this.current = next;
    this.log.info(
      {
        ...this.context,
        from: previous.status,
        to: next.status,
        ...("attempt" in next ? { attempt: next.attempt } : {}),
      },
      `${this.label} ${previous.status} -> ${next.status}`,
    );
    for (const listener of [...this.listeners]) {
      try {
        listener(next, previous);
      } catch (err) {
        // One faulty listener must not keep the others (or the transport) from seeing the change.
        this.log.warn(
          { ...this.context, err: err instanceof Error ? err.message : String(err) },
          `${this.label}: a state listener threw`,
        );
      }
    }
    return true;
  }

  /** Listen to transitions; returns a function that stops listening. */
  on(listener: ConnectionStateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

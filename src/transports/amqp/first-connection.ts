/**
 * Publishes called before the transport first connected wait here, under the same bounds as publishes
 * waiting through a reconnect: at most `maxBufferedPublishes` of them (more reject at once with
 * `connection-closed`), each for no longer than its own publish timeout (`publish-timeout`, never sent).
 * Without this gate, publishes to an unreachable broker pile up without limit until `connect()` gives up.
 */
import { ConnectionClosedError, PublishTimeoutError } from "../../core/errors.js";

/** Counters, for diagnostics and tests. */
export interface FirstConnectionStats {
  /** Refused at once: `maxBufferedPublishes` were waiting already. */
  refusedFull: number;
  /** Their publish timeout passed before the first connection. */
  timedOut: number;
}

/** The waiting room of publishes before the first connection. */
export class FirstConnectionGate {
  private waiting = 0;
  readonly stats: FirstConnectionStats = { refusedFull: 0, timedOut: 0 };

  constructor(private readonly maxWaiting: number) {}

  /** Publishes waiting now. */
  get size(): number {
    return this.waiting;
  }

  /**
   * Wait until `connecting` resolves, at most `timeoutMs`; resolves with the time left of the publish's
   * timeout. Rejects at once when full, with `publish-timeout` when the time passes first, and with the
   * connect error when connecting fails.
   */
  async wait(connecting: Promise<void>, timeoutMs: number, exchange: string): Promise<number> {
    connecting.catch(() => undefined); // rejected here or in connect(); never unhandled
    if (this.waiting >= this.maxWaiting) {
      this.stats.refusedFull++;
      throw new ConnectionClosedError(
        `RabbitMQ is not connected yet and ${this.waiting} publishes are already waiting for the first ` +
          "connection (maxBufferedPublishes); the message was not sent. Retry once connect() resolved, or " +
          "raise maxBufferedPublishes",
        { details: { exchange, waiting: this.waiting } },
      );
    }
    const started = Date.now();
    this.waiting++;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        connecting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.stats.timedOut++;
            reject(
              new PublishTimeoutError(
                `publish to exchange '${exchange}' not sent within ${timeoutMs} ms: the transport has not ` +
                  "connected to RabbitMQ yet, so the message was never sent. Check that the broker is reachable " +
                  "(the url option), or raise publishTimeoutMs",
                { details: { exchange, sent: false } },
              ),
            );
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.waiting--;
    }
    return Math.max(1, timeoutMs - (Date.now() - started));
  }
}

/**
 * Per-key serialized handling inside one consumer (`Route.order: "per-key"`): deliveries that share a key
 * run one at a time, in the order the transport handed them over, while deliveries of different keys run
 * side by side up to the route's prefetch. Without it a prefetch above 1 runs a key's messages concurrently
 * and they finish in any order; with it the prefetch buys parallelism across keys and keeps each key's order.
 *
 * A delivery's turn ends when its handling has settled it (ack, retry or dead letter) or given it back.
 * A retried message goes back to the broker and later messages of its key do not wait for it: mqa's
 * retries are broker-side, so waiting would hold the key's messages (and prefetch slots) for the whole
 * backoff. A retried message therefore comes back after later messages of its key (docs/ordering.md).
 */
import type { Message } from "./message.js";

/** How a route finds a message's ordering key; `undefined` means the message has no order to keep. */
export type KeyOf = (message: Message) => string | undefined;

/** The default key of per-key order: the message's own `key` (the routing / partition key). */
export const messageKey: KeyOf = (message) => message.key;

/**
 * Lanes of work, one per key: work of one key starts only after every earlier work of that key has
 * finished (resolved or rejected). Keys with nothing queued hold no memory.
 */
export class KeyLanes {
  private readonly tails = new Map<string, Promise<void>>();

  /** Keys with work running or waiting (for tests and diagnostics). */
  get activeKeys(): number {
    return this.tails.size;
  }

  /**
   * Run `work` once every earlier work queued under `key` has finished; resolves or rejects as `work` does.
   * Call it in delivery order: the call, not the start, fixes the place in the lane.
   */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const before = this.tails.get(key);
    const result = before === undefined ? work() : before.then(work);
    // The lane's tail never rejects: a failed work must not skip or fail the ones queued behind it.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

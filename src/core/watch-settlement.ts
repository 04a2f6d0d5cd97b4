/** A delivery that reports how it is settled, once, before the settlement goes through. */
import type { DeadLetterReason } from "./message.js";
import type { Delivery, RetryOptions } from "./transport.js";

/** How a delivery was settled, with what the settlement was given. */
export type Settlement =
  | { readonly how: "ack" }
  | { readonly how: "retry"; readonly options: RetryOptions | undefined }
  | { readonly how: "dead-letter"; readonly reason: DeadLetterReason };

/**
 * `delivery` with `onSettle` called before its first settlement (not for calls after it is settled, which the
 * delivery ignores anyway). Used by the router's context and by tracing, which both need to know the outcome.
 */
export function watchSettlement(delivery: Delivery, onSettle: (settlement: Settlement) => void): Delivery {
  const note = (settlement: Settlement): void => {
    if (!delivery.settled) onSettle(settlement);
  };
  return {
    get message() {
      return delivery.message;
    },
    get group() {
      return delivery.group;
    },
    get settled() {
      return delivery.settled;
    },
    ack: () => (note({ how: "ack" }), delivery.ack()),
    retry: (options) => (note({ how: "retry", options }), delivery.retry(options)),
    deadLetter: (reason) => (note({ how: "dead-letter", reason }), delivery.deadLetter(reason)),
  };
}

/**
 * What happens to a delivery its handler left unsettled (it threw, or returned without settling), by what the
 * queue can do (decision 0012):
 * - a queue that counts failed deliveries (quorum) gets it back with `basic.reject(requeue)`: the broker counts
 *   it in `x-delivery-count` and its `x-delivery-limit` dead-letters a poison message;
 * - a queue that does not (classic, or an attached queue of unknown type) would hand it back at once, again and
 *   again, with only the `redelivered` flag set: a tight loop whose attempt never passes 2. There mqa counts
 *   itself: the message is published again to the queue with its attempt raised (confirmed, then the original
 *   acked, as `retry()` does), and once its attempt passed `deliveryLimit` it is dead-lettered instead
 *   (`delivery-limit`; without a dead-letter queue, rejected without requeue).
 * Streams keep the reject: nothing is redelivered from a stream, and a copy would be appended to it.
 */
import type { DeadLetterReason } from "../../core/message.js";
import type { QueueType } from "./topology-plan.js";
import { summarizeError } from "../../core/errors.js";

/** How a subscription gives back what its handler left unsettled. */
export type UnsettledPolicy =
  { readonly kind: "requeue" } | { readonly kind: "republish"; readonly deliveryLimit: number | "unlimited" };

/** What was done with an unsettled delivery. */
export type UnsettledOutcome = "requeued" | "republished" | "dead-lettered";

/** The part of a delivery the policy needs (an `AmqpDelivery`). */
export interface UnsettledDelivery {
  readonly message: { readonly attempt: number };
  requeue(): void;
  retry(options?: { countAttempt?: boolean }): Promise<void>;
  deadLetter(reason: DeadLetterReason): Promise<void>;
}

/**
 * The policy for a group's queue: `requeue` when the broker counts deliveries (a quorum queue mqa declares,
 * an attached queue the topology spec describes as quorum, any stream), else `republish`.
 */
export function unsettledPolicyFor(
  /** The queue's type, undefined when unknown (an attached queue the spec does not describe). */
  queueType: QueueType | undefined,
  deliveryLimit: number | "unlimited",
): UnsettledPolicy {
  if (queueType === "quorum" || queueType === "stream") return { kind: "requeue" };
  return { kind: "republish", deliveryLimit };
}

/** Give an unsettled delivery back as `policy` says; `failure` is the handler's error, if it threw. */
export async function settleUnsettled(
  delivery: UnsettledDelivery,
  policy: UnsettledPolicy,
  failure: unknown,
): Promise<UnsettledOutcome> {
  if (policy.kind === "requeue") {
    delivery.requeue();
    return "requeued";
  }
  const { attempt } = delivery.message;
  // Quorum's rule, on mqa's count: with limit N a message is handled at most N + 1 times.
  if (policy.deliveryLimit !== "unlimited" && attempt > policy.deliveryLimit) {
    await delivery.deadLetter({
      reason: "delivery-limit",
      ...(failure === undefined ? {} : { error: summarizeError(failure) }),
      details: { deliveryLimit: policy.deliveryLimit, attempt },
    });
    return "dead-lettered";
  }
  await delivery.retry({ countAttempt: true });
  return "republished";
}

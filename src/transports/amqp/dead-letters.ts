/**
 * `Transport.readDeadLetters` on RabbitMQ: the first `limit` dead letters of a group, read through the same
 * walk as `mqa dlq` ({@link walkAmqpDeadLetters}), which keeps every entry. Fetching and handing a message back
 * (basic.get, then channel close or nack) would raise its `x-delivery-count` on every read, and under a
 * delivery limit (RabbitMQ 4.x quorum queues: 20 by default) drop it; the walk re-queues exact copies instead.
 * It walks the whole queue even when `limit` is smaller, so the queue's order is the same after the read.
 */
import type { DeadLetter } from "../../core/transport.js";
import { walkAmqpDeadLetters, type AmqpDeadLetterContext } from "./dead-letter-queues.js";

/** Up to `limit` dead letters of a group, oldest first; the queue keeps all of them, unchanged and in order. */
export async function readDeadLetters(
  ctx: AmqpDeadLetterContext,
  topic: string,
  group: string,
  limit: number,
): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await walkAmqpDeadLetters(ctx, topic, group, (entry) => {
    if (out.length < limit)
      out.push({ message: entry.message, reason: entry.reason, headers: entry.headers });
    return { action: "keep" };
  });
  return out;
}

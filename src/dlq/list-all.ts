/**
 * Every group's dead-letter queue on a broker, with its size and ages: what `mqa dlq list` prints without
 * `--topic/--group`. Finding the DLQs needs admin access (a transport only knows the groups it is told), so
 * each broker has its own finder next to this file (`list-redis.ts`, `list-amqp.ts`).
 */
import type { DeadLetterCount } from "../core/dead-letter-queues.js";

/** One group's dead-letter queue as a broker-wide listing finds it. */
export interface DeadLetterQueueSummary extends DeadLetterCount {
  /** The group's topic and name: absent when the DLQ's name does not follow mqa's naming. */
  readonly topic?: string;
  readonly group?: string;
  /** The broker's name(s) of the DLQ: its queue, or its stream key(s) (one per partition). */
  readonly queues: readonly string[];
}

/** Order a listing: by topic, then group, then queue name. */
export function sortSummaries(list: DeadLetterQueueSummary[]): DeadLetterQueueSummary[] {
  const key = (s: DeadLetterQueueSummary): string =>
    `${s.topic ?? "\uffff"}\u0000${s.group ?? ""}\u0000${s.queues[0] ?? ""}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

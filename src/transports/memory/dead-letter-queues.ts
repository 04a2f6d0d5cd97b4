/** {@link DeadLetterQueues} of the embedded broker: its per-group dead-letter arrays. */
import {
  deadLetteredAtOf,
  type DeadLetterCount,
  type DeadLetterVisitor,
  type DeadLetterWalkOptions,
  type DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import { attemptFromHeaders, Headers, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";
import { MqaError, ResourceNotFoundError } from "../../core/errors.js";
import type { MemoryBroker, StoredDeadLetter } from "./broker.js";

/** A sequence number per stored dead letter: its stable ref for as long as it stays. */
const refs = new WeakMap<StoredDeadLetter, number>();
let nextRef = 0;
function refOf(letter: StoredDeadLetter): string {
  let r = refs.get(letter);
  if (r === undefined) refs.set(letter, (r = ++nextRef));
  return String(r);
}

/** The group's queue; `not-found` when it was never declared on this broker. */
function requireGroup(
  broker: MemoryBroker,
  topic: string,
  group: string,
): NonNullable<ReturnType<MemoryBroker["group"]>> {
  const queue = broker.group(topic, group);
  if (!queue)
    throw new ResourceNotFoundError(
      `group '${group}' of topic '${topic}' does not exist on this memory broker: declare it first`,
    );
  return queue;
}

/** Walk a group's dead letters oldest first (see {@link DeadLetterQueues.walkDeadLetters}). */
export async function walkMemoryDeadLetters(
  broker: MemoryBroker,
  topic: string,
  group: string,
  visit: DeadLetterVisitor,
  options: DeadLetterWalkOptions = {},
): Promise<DeadLetterWalkResult> {
  const queue = requireGroup(broker, topic, group);
  const counts = { visited: 0, kept: 0, removed: 0, redriven: 0, aborted: false };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (const letter of [...queue.deadLetters]) {
    if (counts.visited >= limit) break;
    if (options.signal?.aborted) return { ...counts, aborted: true };
    if (!queue.deadLetters.includes(letter)) continue; // removed meanwhile
    counts.visited++;
    const decision = await visit({
      message: letter,
      reason: letter.headers[Headers.deadLetterReason] ?? "unknown",
      headers: letter.headers,
      ref: refOf(letter),
      deadLetteredAt: deadLetteredAtOf(letter.headers, letter.timestamp),
      brokerRedeliveries: 0,
    });
    if (decision.action === "keep") {
      counts.kept++;
      continue;
    }
    if (decision.action === "redrive") {
      const target = broker.group(decision.topic, decision.group);
      if (!target)
        throw new MqaError(
          "not-found",
          `cannot redrive to group '${decision.group}' of topic '${decision.topic}': it is not declared`,
        );
      const m = decision.message;
      target.enqueue({
        message: {
          id: m.id ?? newMessageId(),
          topic: decision.topic,
          key: m.key,
          payload: m.payload,
          contentType: m.contentType,
          headers: { ...m.headers },
          timestamp: m.timestamp ?? Date.now(),
          correlationId: m.correlationId,
          causationId: m.causationId,
        },
        deliveries: 0,
      });
      counts.redriven++;
    } else counts.removed++;
    const at = queue.deadLetters.indexOf(letter);
    if (at >= 0) queue.deadLetters.splice(at, 1);
  }
  return counts;
}

/** Count and age of a group's dead letters. */
export function countMemoryDeadLetters(broker: MemoryBroker, topic: string, group: string): DeadLetterCount {
  const letters = requireGroup(broker, topic, group).deadLetters;
  if (letters.length === 0) return { count: 0 };
  const times = letters.map((l) => deadLetteredAtOf(l.headers, l.timestamp));
  return { count: letters.length, oldestAt: Math.min(...times), newestAt: Math.max(...times) };
}

/** Add a dead letter as given (import). */
export function appendMemoryDeadLetter(
  broker: MemoryBroker,
  topic: string,
  group: string,
  message: OutgoingMessage,
): void {
  const headers = { ...message.headers };
  requireGroup(broker, topic, group).addDeadLetter({
    id: message.id ?? newMessageId(),
    topic,
    key: message.key,
    payload: message.payload,
    contentType: message.contentType,
    headers,
    timestamp: message.timestamp ?? Date.now(),
    correlationId: message.correlationId,
    causationId: message.causationId,
    attempt: attemptFromHeaders(headers),
  });
}

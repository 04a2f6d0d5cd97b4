/**
 * {@link DeadLetterQueues} on Redis Streams. A group's DLQ is one stream per partition (`keys.dlq`): browsing is
 * XRANGE (changes nothing), removing is XDEL, and a redrive XADDs the copy to the target group's retry stream
 * (`keys.retry`, read by that group only) and XDELs the dead letter only after that XADD was answered.
 */
import type { Redis } from "ioredis";
import {
  deadLetteredAtOf,
  type DeadLetterCount,
  type DeadLetterEntry,
  type DeadLetterVisitor,
  type DeadLetterWalkOptions,
  type DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import { MqaError } from "../../core/errors.js";
import { attemptFromHeaders, Headers, type Message, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";
import { deadLetterFields, decodeEntry, encodeMessage, type RawEntry } from "./fields.js";
import { partitionForKey, type RedisKeyNames } from "./naming.js";

/** What the walk needs of the transport. */
export interface RedisDeadLetterContext {
  readonly client: Redis;
  readonly names: RedisKeyNames;
  /** Partition count of a topic (1 unless configured). */
  partitionsOf(topic: string): number;
}

/** Entries read per XRANGE. */
const PAGE = 100;

/** Walk a group's dead letters, partition by partition, oldest first in each. */
export async function walkRedisDeadLetters(
  ctx: RedisDeadLetterContext,
  topic: string,
  group: string,
  visit: DeadLetterVisitor,
  options: DeadLetterWalkOptions = {},
): Promise<DeadLetterWalkResult> {
  const counts = { visited: 0, kept: 0, removed: 0, redriven: 0, aborted: false };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (const keys of ctx.names.group(topic, group, ctx.partitionsOf(topic))) {
    // Only what is there now: entries dead-lettered during the walk come after `last`.
    const tail = (await ctx.client.xrevrangeBuffer(keys.dlq, "+", "-", "COUNT", 1)) as RawEntry[];
    if (tail.length === 0) continue;
    const last = tail[0]![0].toString();
    let from = "-";
    for (;;) {
      const page = (await ctx.client.xrangeBuffer(keys.dlq, from, last, "COUNT", PAGE)) as RawEntry[];
      if (page.length === 0) break;
      for (const raw of page) {
        if (counts.visited >= limit) return counts;
        if (options.signal?.aborted) return { ...counts, aborted: true };
        const decoded = decodeEntry(raw);
        if (!decoded) continue;
        counts.visited++;
        const message = decoded.toMessage(topic, decoded.storedAttempt);
        const entry: DeadLetterEntry = {
          message,
          reason:
            decoded.fields.get("reason")?.toString() ??
            message.headers[Headers.deadLetterReason] ??
            "unknown",
          headers: message.headers,
          ref: `${keys.partition}/${decoded.entryId}`,
          deadLetteredAt: deadLetteredAtOf(message.headers, Number.parseInt(decoded.entryId, 10)),
          brokerRedeliveries: 0,
        };
        const decision = await visit(entry);
        if (decision.action === "keep") {
          counts.kept++;
          continue;
        }
        if (decision.action === "redrive") {
          await redriveTo(ctx, decision.topic, decision.group, decision.message);
          counts.redriven++;
        } else counts.removed++;
        await ctx.client.xdel(keys.dlq, decoded.entryId);
      }
      from = `(${page[page.length - 1]![0].toString()}`;
    }
  }
  return counts;
}

/** XADD the copy to the target group's retry stream; fails when the group was never declared there. */
async function redriveTo(
  ctx: RedisDeadLetterContext,
  topic: string,
  group: string,
  message: OutgoingMessage,
): Promise<void> {
  const partitions = ctx.partitionsOf(topic);
  const keys = ctx.names.partition(topic, group, partitionForKey(message.key, partitions), partitions);
  if ((await ctx.client.exists(keys.retry)) === 0)
    throw new MqaError(
      "not-found",
      `cannot redrive to group '${group}' of topic '${topic}': it is not declared on this Redis (no ${keys.retry}); declare it or pick another --to`,
    );
  const { fields } = encodeMessage(message);
  await ctx.client.xadd(keys.retry, "*", ...fields);
}

/** Count and age of a group's dead letters over every partition. */
export async function countRedisDeadLetters(
  ctx: RedisDeadLetterContext,
  topic: string,
  group: string,
): Promise<DeadLetterCount> {
  let count = 0;
  let oldestAt: number | undefined;
  let newestAt: number | undefined;
  for (const keys of ctx.names.group(topic, group, ctx.partitionsOf(topic))) {
    const n = await ctx.client.xlen(keys.dlq);
    if (n === 0) continue;
    count += n;
    const first = (await ctx.client.xrangeBuffer(keys.dlq, "-", "+", "COUNT", 1)) as RawEntry[];
    const last = (await ctx.client.xrevrangeBuffer(keys.dlq, "+", "-", "COUNT", 1)) as RawEntry[];
    for (const raw of [...first, ...last]) {
      const d = decodeEntry(raw);
      if (!d) continue;
      const at = deadLetteredAtOf(d.meta.h, Number.parseInt(d.entryId, 10));
      oldestAt = oldestAt === undefined ? at : Math.min(oldestAt, at);
      newestAt = newestAt === undefined ? at : Math.max(newestAt, at);
    }
  }
  return count === 0 ? { count } : { count, oldestAt: oldestAt!, newestAt: newestAt! };
}

/** XADD a dead letter as given (import) to the partition its key maps to. */
export async function appendRedisDeadLetter(
  ctx: RedisDeadLetterContext,
  topic: string,
  group: string,
  outgoing: OutgoingMessage,
): Promise<void> {
  const partitions = ctx.partitionsOf(topic);
  const keys = ctx.names.partition(topic, group, partitionForKey(outgoing.key, partitions), partitions);
  const headers = { ...outgoing.headers };
  const message: Message = {
    id: outgoing.id ?? newMessageId(),
    topic,
    key: outgoing.key,
    payload: outgoing.payload,
    contentType: outgoing.contentType,
    headers,
    timestamp: outgoing.timestamp ?? Date.now(),
    correlationId: outgoing.correlationId,
    causationId: outgoing.causationId,
    attempt: attemptFromHeaders(headers),
  };
  await ctx.client.xadd(keys.dlq, "*", ...deadLetterFields(message, headers, group, "imported"));
}

/**
 * {@link DeadLetterQueues} on Redis Streams. A group's DLQ is one stream per partition (`keys.dlq`): browsing is
 * XRANGE (changes nothing), removing is XDEL, and a redrive XADDs the copy to the target group's retry stream
 * (`keys.retry`, read by that group only) and XDELs the dead letter only after that XADD was answered.
 * A DLQ stream exists only once something was dead-lettered, so an empty one is told apart from a group that
 * does not exist by the group's consumer group on the topic's stream (`not-found` when it is missing).
 */
import type { RedisClient } from "./client.js";
import {
  deadLetteredAtOf,
  type DeadLetterCount,
  type DeadLetterEntry,
  type DeadLetterVisitor,
  type DeadLetterWalkOptions,
  type DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import { MqaError, ResourceNotFoundError } from "../../core/errors.js";
import { attemptFromHeaders, Headers, type Message, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";
import { deadLetterFields, decodeEntry, encodeMessage, type RawEntry } from "./fields.js";
import { partitionForKey, type RedisKeyNames } from "./naming.js";
import { replyErrorOf } from "./reply-error.js";

/** What the walk needs of the transport. */
export interface RedisDeadLetterContext {
  readonly client: RedisClient;
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
  let empty = true;
  for (const keys of ctx.names.group(topic, group, ctx.partitionsOf(topic))) {
    // Only what is there now: entries dead-lettered during the walk come after `last`.
    const tail = (await ctx.client.xrevrangeBuffer(keys.dlq, "+", "-", "COUNT", 1)) as RawEntry[];
    if (tail.length === 0) continue;
    empty = false;
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
  if (empty) await requireGroup(ctx, topic, group);
  return counts;
}

/**
 * Throw `not-found` unless `group` is a consumer group on the topic's (first partition's) stream: what every
 * declaration creates, `existing` groups included.
 */
export async function requireGroup(ctx: RedisDeadLetterContext, topic: string, group: string): Promise<void> {
  const stream = ctx.names.stream(topic, 0, ctx.partitionsOf(topic));
  let rows: unknown[] = [];
  try {
    rows = (await ctx.client.xinfo("GROUPS", stream)) as unknown[];
  } catch (err) {
    // A plain ERR reply: Redis has no error code for a missing key, only this documented detail.
    const reply = replyErrorOf(err);
    if (reply?.code !== "ERR" || !/^no such key/i.test(reply.detail)) throw err;
  }
  const named = (row: unknown): boolean => {
    if (!Array.isArray(row)) return false;
    for (let i = 0; i + 1 < row.length; i += 2)
      if (String(row[i]) === "name" && String(row[i + 1]) === group) return true;
    return false;
  };
  if (rows.some(named)) return;
  if (rows.length === 0) {
    // Not there as configured: maybe a partitioned topic opened as unpartitioned (its streams are `{t#n}`).
    const stored = Number(await ctx.client.hget(ctx.names.meta(topic), "partitions"));
    if (Number.isInteger(stored) && stored > 1 && stored !== ctx.partitionsOf(topic))
      throw new MqaError(
        "invalid-options",
        `topic '${topic}' has ${stored} partitions on this Redis but was opened with ${ctx.partitionsOf(topic)}: ` +
          `set topics.${topic}.partitions (mqa dlq: --spec with the topic's partitions)`,
        { details: { topic, group, partitions: stored } },
      );
  }
  throw new ResourceNotFoundError(
    `group '${group}' of topic '${topic}' does not exist on this Redis (no consumer group '${group}' on ` +
      `stream '${stream}'${rows.length === 0 ? ", which has no groups or does not exist" : ""}): check the topic and group names, or declare the group`,
    { details: { topic, group, stream } },
  );
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
  if (count === 0) await requireGroup(ctx, topic, group);
  return count === 0 ? { count } : { count, oldestAt: oldestAt!, newestAt: newestAt! };
}

/** XADD a dead letter as given (import) to the partition its key maps to. */
export async function appendRedisDeadLetter(
  ctx: RedisDeadLetterContext,
  topic: string,
  group: string,
  outgoing: OutgoingMessage,
): Promise<void> {
  await requireGroup(ctx, topic, group);
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

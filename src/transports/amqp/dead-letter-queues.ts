/**
 * {@link DeadLetterQueues} on RabbitMQ. A group's DLQ is the quorum queue `<queue>.dlq`. RabbitMQ has no
 * non-destructive read of a queue: a message fetched and handed back (channel close or nack with requeue)
 * raises its `x-delivery-count` (and counts against a delivery limit). So a walk fetches each dead letter,
 * re-publishes "kept" ones as exact copies to the tail of the same queue (confirmed), and only then acks the
 * fetched one: nothing is counted, nothing can be dropped by a delivery limit, and a crash between the
 * publish and the ack leaves a duplicate, never a loss. See docs/decisions/0090-dead-letter-tooling.md.
 */
import type { Channel, ChannelModel, GetMessage, Options } from "amqplib";
import {
  deadLetteredAtOf,
  type DeadLetterCount,
  type DeadLetterEntry,
  type DeadLetterVisitor,
  type DeadLetterWalkOptions,
  type DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import { MqaError } from "../../core/errors.js";
import { attemptFromHeaders, Headers, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";
import { closeQuietly } from "./close-quietly.js";
import type { PublishRequest } from "./confirm-publisher.js";
import { AmqpHeaders, fromDelivery, redeliveriesOf, toPublishProperties } from "./message-mapping.js";
import { NOT_FOUND, replyCodeOf } from "./reply-code.js";

/** What the walk needs of the transport. */
export interface AmqpDeadLetterContext {
  readonly model: ChannelModel;
  /** Confirmed, mandatory publish. */
  publish(request: PublishRequest): Promise<void>;
  /** The group's queue and its dead-letter queue. */
  /** The group's queue (for a partitioned group, the partition queue of `key`) and dead-letter queue. */
  queuesOf(
    topic: string,
    group: string,
    key?: string,
  ): { readonly queue: string; readonly deadLetterQueue: string };
}

/** RabbitMQ's own dead-letter reasons (queue arguments, not mqa) in mqa's words. */
export const BROKER_REASONS: Readonly<Record<string, string>> = {
  delivery_limit: "delivery-limit",
  rejected: "rejected",
  expired: "expired",
  maxlen: "queue-full",
};

/** Broker bookkeeping of a delivery, not part of the message: never copied. */
const DELIVERY_HEADERS = new Set<string>([AmqpHeaders.deliveryCount, "x-acquired-count"]);

/** Walk a group's dead letters in queue order (see the file comment for what "keep" does). */
export async function walkAmqpDeadLetters(
  ctx: AmqpDeadLetterContext,
  topic: string,
  group: string,
  visit: DeadLetterVisitor,
  options: DeadLetterWalkOptions = {},
): Promise<DeadLetterWalkResult> {
  const { deadLetterQueue: dlq } = ctx.queuesOf(topic, group);
  const counts = { visited: 0, kept: 0, removed: 0, redriven: 0, aborted: false };
  const channel = await ctx.model.createChannel();
  channel.on("error", () => undefined);
  try {
    // Only the messages there now: kept copies go to the tail, after every one of them.
    const present = (await checkQueue(ctx, channel, topic, group)).messageCount;
    const limit = Math.min(present, options.limit ?? Number.POSITIVE_INFINITY);
    while (counts.visited < limit) {
      if (options.signal?.aborted) return { ...counts, aborted: true };
      const msg = await channel.get(dlq, { noAck: false });
      if (msg === false) break;
      counts.visited++;
      const entry = entryOf(msg, topic, counts.visited);
      let decision;
      try {
        decision = await visit(entry);
      } catch (err) {
        await keepCopy(ctx, dlq, msg);
        channel.ack(msg);
        throw err;
      }
      if (decision.action === "keep") {
        await keepCopy(ctx, dlq, msg);
        counts.kept++;
      } else if (decision.action === "redrive") {
        const target = ctx.queuesOf(decision.topic, decision.group, decision.message.key).queue;
        await ctx.publish(request("", target, decision.message));
        counts.redriven++;
      } else counts.removed++;
      channel.ack(msg);
    }
    return counts;
  } finally {
    // Anything fetched and not acked (a failed publish) goes back: counted once by the broker, never lost.
    await closeQuietly(channel);
  }
}

/** How many dead letters the group holds; the ages come from a full walk that keeps everything. */
export async function countAmqpDeadLetters(
  ctx: AmqpDeadLetterContext,
  topic: string,
  group: string,
): Promise<DeadLetterCount> {
  let count = 0;
  let oldestAt: number | undefined;
  let newestAt: number | undefined;
  await walkAmqpDeadLetters(ctx, topic, group, (entry) => {
    count++;
    oldestAt = Math.min(oldestAt ?? entry.deadLetteredAt, entry.deadLetteredAt);
    newestAt = Math.max(newestAt ?? entry.deadLetteredAt, entry.deadLetteredAt);
    return { action: "keep" };
  });
  return count === 0 ? { count } : { count, oldestAt: oldestAt!, newestAt: newestAt! };
}

/** Publish a dead letter as given (import) straight to the group's DLQ, confirmed. */
export async function appendAmqpDeadLetter(
  ctx: AmqpDeadLetterContext,
  topic: string,
  group: string,
  message: OutgoingMessage,
): Promise<void> {
  const { deadLetterQueue } = ctx.queuesOf(topic, group);
  const channel = await ctx.model.createChannel();
  channel.on("error", () => undefined);
  try {
    await checkQueue(ctx, channel, topic, group);
  } finally {
    await closeQuietly(channel);
  }
  await ctx.publish(request("", deadLetterQueue, message));
}

function request(exchange: string, routingKey: string, message: OutgoingMessage): PublishRequest {
  return {
    exchange,
    routingKey,
    content: Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength),
    properties: toPublishProperties(message),
  };
}

/** Re-publish the fetched message unchanged (minus the broker's delivery bookkeeping) to the DLQ's tail. */
async function keepCopy(ctx: AmqpDeadLetterContext, dlq: string, msg: GetMessage): Promise<void> {
  const headers = { ...(msg.properties.headers as Record<string, unknown> | undefined) };
  for (const k of DELIVERY_HEADERS) delete headers[k];
  const p = msg.properties;
  const properties: Options.Publish & { messageId: string } = {
    // Returns are matched on the id: a message without one gets one (once; its copies keep it).
    messageId: typeof p.messageId === "string" && p.messageId !== "" ? p.messageId : newMessageId(),
    headers,
    ...defined({
      contentType: p.contentType as unknown,
      contentEncoding: p.contentEncoding as unknown,
      correlationId: p.correlationId as unknown,
      replyTo: p.replyTo as unknown,
      expiration: p.expiration as unknown,
      timestamp: p.timestamp as unknown,
      type: p.type as unknown,
      userId: p.userId as unknown,
      appId: p.appId as unknown,
      priority: p.priority as unknown,
    }),
  };
  await ctx.publish({ exchange: "", routingKey: dlq, content: msg.content, properties });
}

function defined(props: Record<string, unknown>): Partial<Options.Publish> {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined && v !== null));
}

function entryOf(msg: GetMessage, topic: string, ordinal: number): DeadLetterEntry {
  const delivered = fromDelivery({ ...msg, fields: { ...msg.fields, consumerTag: "" } }, topic);
  const headers = { ...delivered.headers };
  for (const k of DELIVERY_HEADERS) delete headers[k];
  const brokerReason = latestDeathReason(msg.properties.headers as Record<string, unknown> | undefined);
  const reason =
    headers[Headers.deadLetterReason] ??
    (brokerReason !== undefined ? (BROKER_REASONS[brokerReason] ?? brokerReason) : "unknown");
  const message = { ...delivered, headers, attempt: attemptFromHeaders(headers) };
  return {
    message,
    reason,
    headers,
    ref: `#${ordinal}`,
    deadLetteredAt: deadLetteredAtOf(headers, delivered.timestamp),
    brokerRedeliveries: redeliveriesOf({ ...msg, fields: { ...msg.fields, consumerTag: "" } }),
  };
}

/**
 * The DLQ's message count. A missing DLQ is `not-found` when the group's own queue is missing too (the group
 * does not exist), else `unsupported` (the group has no DLQ: `deadLetter: false` or a stream queue).
 */
async function checkQueue(
  ctx: AmqpDeadLetterContext,
  channel: Channel,
  topic: string,
  group: string,
): Promise<{ messageCount: number }> {
  const { queue, deadLetterQueue: dlq } = ctx.queuesOf(topic, group);
  try {
    return await channel.checkQueue(dlq);
  } catch (err) {
    if (replyCodeOf(err) !== NOT_FOUND) throw err;
    if (!(await queueExists(ctx.model, queue)))
      throw new MqaError(
        "not-found",
        `group '${group}' of topic '${topic}' does not exist on this RabbitMQ (no queue '${queue}'): check the topic and group names, or declare the group`,
        { cause: err },
      );
    throw new MqaError(
      "unsupported",
      `group '${group}' of topic '${topic}' has no dead-letter queue '${dlq}' (declared with deadLetter: false, or a stream)`,
      { cause: err },
    );
  }
}

/** Whether a queue exists, asked on a channel of its own (a failed check closes the channel it ran on). */
async function queueExists(model: ChannelModel, queue: string): Promise<boolean> {
  const channel = await model.createChannel();
  channel.on("error", () => undefined);
  try {
    await channel.checkQueue(queue);
    return true;
  } catch (err) {
    if (replyCodeOf(err) === NOT_FOUND) return false;
    throw err;
  } finally {
    await closeQuietly(channel);
  }
}

/** Why RabbitMQ dead-lettered the message most recently: `x-death[0]` (newest first), else the summary headers. */
export function latestDeathReason(headers: Record<string, unknown> | undefined): string | undefined {
  const deaths = headers?.["x-death"];
  if (Array.isArray(deaths)) {
    const reason = (deaths[0] as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === "string") return reason;
    if (Buffer.isBuffer(reason)) return reason.toString("utf8");
  }
  for (const key of ["x-last-death-reason", "x-first-death-reason"]) {
    const v = headers?.[key];
    if (typeof v === "string") return v;
    if (Buffer.isBuffer(v)) return v.toString("utf8");
  }
  return undefined;
}

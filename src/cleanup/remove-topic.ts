/**
 * Remove what mqa declared for a topic and its groups, for throw-away topics of `mqa verify`,
 * `mqa bench` and tests on a shared broker. The Transport contract has no delete on purpose (deleting
 * a queue drops its messages), so this lives outside it, broker by broker, loaded on demand.
 */
import { maskUrl } from "../core/redact.js";

/** Delete topic `topic` with `groups` (their queues / streams and dead letters). memory:// needs nothing. */
export async function removeTopic(url: string, topic: string, groups: readonly string[]): Promise<void> {
  const protocol = new URL(url).protocol;
  if (protocol === "amqp:" || protocol === "amqps:") return removeAmqpTopic(url, topic, groups);
  if (protocol === "redis:" || protocol === "rediss:") return removeRedisTopic(url, topic);
  if (protocol !== "memory:") throw new Error(`cannot remove topics on ${maskUrl(url)}`);
}

async function removeAmqpTopic(url: string, topic: string, groups: readonly string[]): Promise<void> {
  const { default: amqplib } = await import("amqplib");
  const { deadLetterQueueName, groupQueueName } = await import("../transports/amqp/layout.js");
  const model = await amqplib.connect(url);
  try {
    const ch = await model.createChannel();
    for (const group of groups) {
      await ch.deleteQueue(groupQueueName(topic, group));
      await ch.deleteQueue(deadLetterQueueName(topic, group));
    }
    await ch.deleteExchange(topic);
    await ch.close();
  } finally {
    await model.close();
  }
}

async function removeRedisTopic(url: string, topic: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const { RedisKeyNames } = await import("../transports/redis/layout.js");
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  const names = new RedisKeyNames();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", names.topicPattern(topic), "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

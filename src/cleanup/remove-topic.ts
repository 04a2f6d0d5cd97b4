/**
 * Remove what mqa declared for a topic and its groups, for throw-away topics of `mqa verify`,
 * `mqa bench` and tests on a shared broker. The Transport contract has no delete on purpose (deleting
 * a queue drops its messages), so this lives outside it, broker by broker, loaded on demand.
 */
import type { BrokerTlsOptions } from "../connect.js";
import { maskUrl } from "../core/redact.js";

/** How to connect: TLS settings for an `amqps://` or `rediss://` URL. */
export interface RemoveTopicOptions {
  tls?: BrokerTlsOptions;
}

/** Delete topic `topic` with `groups` (their queues / streams and dead letters). memory:// needs nothing. */
export async function removeTopic(
  url: string,
  topic: string,
  groups: readonly string[],
  options: RemoveTopicOptions = {},
): Promise<void> {
  const protocol = new URL(url).protocol;
  const tls = protocol === "amqps:" || protocol === "rediss:" ? options.tls : undefined;
  if (protocol === "amqp:" || protocol === "amqps:") return removeAmqpTopic(url, topic, groups, tls);
  if (protocol === "redis:" || protocol === "rediss:") return removeRedisTopic(url, topic, tls);
  if (protocol !== "memory:") throw new Error(`cannot remove topics on ${maskUrl(url)}`);
}

async function removeAmqpTopic(
  url: string,
  topic: string,
  groups: readonly string[],
  tls: BrokerTlsOptions | undefined,
): Promise<void> {
  const { default: amqplib } = await import("amqplib");
  const { deadLetterQueueName, groupQueueName } = await import("../transports/amqp/layout.js");
  const model = await amqplib.connect(url, tls ?? {});
  model.on("error", () => undefined);
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

async function removeRedisTopic(
  url: string,
  topic: string,
  tls: BrokerTlsOptions | undefined,
): Promise<void> {
  const { Redis } = await import("ioredis");
  const { RedisKeyNames } = await import("../transports/redis/layout.js");
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, ...(tls ? { tls } : {}) });
  client.on("error", () => undefined); // a failure surfaces as the rejected call
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

import { afterAll } from "vitest";

/** The RabbitMQ the integration tests talk to: the shared one, or `MQA_TEST_AMQP_URL` when set. */
export const AMQP_URL = process.env.MQA_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
/** Its AMQP port, for pointing a FaultProxy at it. */
export const AMQP_PORT = Number(new URL(AMQP_URL).port || 5672);

/**
 * Delete what tests declared for `topic` and its groups (exchange `T`, queues `T.G`, `T.G.dlq`), so test
 * runs do not pile up quorum queues on the shared broker. The shared delay levels stay.
 */
export async function deleteTopology(
  url: string,
  topics: readonly { topic: string; groups: readonly string[] }[],
): Promise<void> {
  const { default: amqp } = await import("amqplib");
  const c = await amqp.connect(url);
  try {
    const ch = await c.createChannel();
    for (const { topic, groups } of topics) {
      for (const g of groups) {
        await ch.deleteQueue(`${topic}.${g}`);
        await ch.deleteQueue(`${topic}.${g}.dlq`);
      }
      await ch.deleteExchange(topic);
    }
    await ch.close();
  } finally {
    await c.close();
  }
}

/**
 * A maker of unique topic names for one test file (`<prefix>-<random>`); after all its tests, what was
 * declared for them (exchange, `T.G` and `T.G.dlq` for each of `groups`) is deleted from the broker.
 */
export function testTopics(prefix: string, groups: readonly string[] = ["g"]): () => string {
  const made: string[] = [];
  afterAll(() =>
    deleteTopology(
      AMQP_URL,
      made.map((topic) => ({ topic, groups })),
    ),
  );
  return () => {
    const topic = `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
    made.push(topic);
    return topic;
  };
}

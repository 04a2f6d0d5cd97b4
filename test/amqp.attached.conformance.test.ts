/**
 * The universal conformance suite on queues mqa did not declare: before each declaration a "legacy
 * service" declares the group's queue as a classic queue with arguments mqa would never choose (a length
 * limit, a message TTL, no dead-letter exchange); the transport attaches to it (`queueFor` with
 * `existing: true`), checking it passively and never redeclaring it. Every case the suite runs must hold.
 */
import amqplib from "amqplib";
import { describeTransportConformance } from "../src/testing/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL, deleteTopology } from "./support/amqp.js";

const legacyQueue = (topic: string, group: string): string => `legacy.${topic}.${group}`;

/** Declare the group's queue as someone else would, once. */
async function declareAsLegacyService(topic: string, group: string): Promise<void> {
  const model = await amqplib.connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    await ch.assertQueue(legacyQueue(topic, group), {
      durable: true,
      arguments: { "x-queue-type": "classic", "x-max-length": 100_000, "x-message-ttl": 3_600_000 },
    });
  } finally {
    await model.close();
  }
}

describeTransportConformance({
  name: "amqp-attached",
  create: () => {
    const t = createAmqpTransport({
      url: AMQP_URL,
      initialConnectTimeoutMs: 5000,
      queueFor: (topic, group) => ({ name: legacyQueue(topic, group), existing: true }),
    });
    const declare = t.declare.bind(t);
    const subscribe = t.subscribe.bind(t);
    t.declare = async (d) => {
      await declareAsLegacyService(d.topic, d.group);
      return declare(d);
    };
    t.subscribe = async (topic, group, handler, options) => {
      await declareAsLegacyService(topic, group);
      return subscribe(topic, group, handler, options);
    };
    return t;
  },
  cleanup: async (declared) => {
    const model = await amqplib.connect(AMQP_URL);
    const ch = await model.createChannel();
    for (const { topic, groups } of declared)
      for (const g of groups) {
        await ch.deleteQueue(legacyQueue(topic, g));
        await ch.deleteQueue(`${legacyQueue(topic, g)}.dlq`);
      }
    await model.close();
    await deleteTopology(AMQP_URL, declared); // the topic exchanges mqa declared
  },
});

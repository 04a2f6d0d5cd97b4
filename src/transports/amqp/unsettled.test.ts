import { afterEach, describe, expect, it } from "vitest";
import { Headers } from "../../core/message.js";
import type { Delivery } from "../../core/transport.js";
import { waitFor } from "../../testing/mod.js";
import { AMQP_URL, testTopics } from "../../../test/support/amqp.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";
import type { AmqpSubscription } from "./subscription.js";
import { unsettledPolicyFor } from "./unsettled.js";

const open: AmqpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 1000 })));
});
const newTopic = testTopics("f1unsettled");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function transport(opts: Parameters<typeof createAmqpTransport>[0]): AmqpTransport {
  const t = createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000, ...opts });
  open.push(t);
  return t;
}

describe("unsettledPolicyFor", () => {
  it("requeues where the broker counts deliveries, republishes elsewhere", () => {
    expect(unsettledPolicyFor("quorum", 20)).toEqual({ kind: "requeue" });
    expect(unsettledPolicyFor("stream", 20)).toEqual({ kind: "requeue" });
    expect(unsettledPolicyFor("classic", 20)).toEqual({ kind: "republish", deliveryLimit: 20 });
    expect(unsettledPolicyFor(undefined, "unlimited")).toEqual({
      kind: "republish",
      deliveryLimit: "unlimited",
    });
  });
});

describe("a handler that fails without settling, on a queue that counts no deliveries", () => {
  it("classic queue: each failure raises the attempt, and past deliveryLimit the message is dead-lettered", async () => {
    const t = transport({ queueType: "classic", deliveryLimit: 3 });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    const sub = (await t.subscribe(topic, "g", async (d: Delivery) => {
      attempts.push(d.message.attempt);
      throw new Error(`poison, attempt ${d.message.attempt}`);
    })) as AmqpSubscription;
    await t.publish(topic, { id: "poison", payload: bytes("p") });
    await waitFor(
      async () => (await t.readDeadLetters(topic, "g")).length === 1 && sub.stats.republished === 3,
      15_000,
      "the dead letter and the confirms of its republished copies",
    );
    // Quorum's rule on mqa's count: with limit 3 the message is handled 4 times, then dead-lettered.
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(sub.stats).toMatchObject({
      republished: 3,
      deliveryLimitReached: 1,
      requeued: 0,
      handlerErrors: 4,
    });
    const [dl] = await t.readDeadLetters(topic, "g");
    expect(dl?.message.id).toBe("poison");
    expect(dl?.reason).toBe("delivery-limit");
    expect(dl?.headers[Headers.attempt]).toBe("4");
    expect(dl?.headers[Headers.deadLetterErrorMessage]).toBe("poison, attempt 4");
  });

  it("a handler that returns without settling counts as a failed attempt too", async () => {
    const t = transport({ queueType: "classic" });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    await t.subscribe(topic, "g", async (d: Delivery) => {
      attempts.push(d.message.attempt);
      if (d.message.attempt >= 3) await d.ack();
    });
    await t.publish(topic, { payload: bytes("x") });
    await waitFor(() => attempts.length === 3, 10_000, "the third attempt");
    expect(attempts).toEqual([1, 2, 3]);
    expect(await t.readDeadLetters(topic, "g")).toEqual([]);
  });

  it("a queue without mqa's dead-letter queue: past the limit the message is rejected without requeue", async () => {
    const topic = newTopic();
    const t = transport({
      queueType: "classic",
      deliveryLimit: 1,
      queueFor: (tp, g) => ({ name: `${tp}.${g}`, deadLetter: false }),
    });
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    const sub = (await t.subscribe(topic, "g", async (d: Delivery) => {
      attempts.push(d.message.attempt);
      throw new Error("poison");
    })) as AmqpSubscription;
    await t.publish(topic, { payload: bytes("p") });
    // A republish is counted once its confirm arrives, which may come after the copy was delivered and refused.
    await waitFor(
      () => sub.stats.discarded === 1 && sub.stats.republished === 1,
      10_000,
      "the rejection without requeue",
    );
    expect(attempts).toEqual([1, 2]);
    expect(sub.stats).toMatchObject({ republished: 1, deliveryLimitReached: 1, requeued: 0 });
  });

  it("a quorum queue keeps the broker's count: rejected with requeue, never republished", async () => {
    const t = transport({ queueType: "quorum", deliveryLimit: 2 });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    const sub = (await t.subscribe(topic, "g", async (d: Delivery) => {
      attempts.push(d.message.attempt);
      throw new Error("poison");
    })) as AmqpSubscription;
    await t.publish(topic, { payload: bytes("p") });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 15_000, "the dead letter");
    expect(attempts).toEqual([1, 2, 3]);
    expect(sub.stats).toMatchObject({ republished: 0, deliveryLimitReached: 0, requeued: 3 });
  });
});

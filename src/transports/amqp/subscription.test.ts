import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy, waitFor } from "../../testing/mod.js";
import { AMQP_PORT, AMQP_URL, testTopics } from "../../../test/support/amqp.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";
import type { AmqpSubscription } from "./subscription.js";

const open: AmqpTransport[] = [];
const proxies: FaultProxy[] = [];
const newTopic = testTopics("sub");
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.abort()));
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("AmqpSubscription", () => {
  it("drops an ack for a delivery whose connection died, resubscribes, and gets the message again", async () => {
    const p = new FaultProxy({ targetPort: AMQP_PORT });
    await p.start();
    proxies.push(p);
    const t = createAmqpTransport({
      url: `amqp://guest:guest@127.0.0.1:${p.port}`,
      reconnect: { baseMs: 20, maxMs: 200 },
    });
    open.push(t);
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: { body: string; attempt: number }[] = [];
    const sub = (await t.subscribe(topic, "g", async (d) => {
      seen.push({ body: text(d.message.payload), attempt: d.message.attempt });
      if (seen.length === 1) await gate; // still running when its connection dies
      await d.ack();
    })) as AmqpSubscription;
    await t.publish(topic, { payload: bytes("m") });
    await waitFor(() => seen.length === 1, 10_000, "the first delivery");
    p.cut();
    await waitFor(() => seen.length === 2, 15_000, "the redelivery on the new connection");
    release();
    await waitFor(() => sub.stats.staleSettlements === 1, 5000, "the stale ack to be counted");
    expect(seen[1]).toEqual({ body: "m", attempt: 2 });
    // Nothing was sent on the new channel for the old tag: the broker never closed it.
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.stats.channelClosedByBroker).toBe(0);
    expect(sub.stats.acked).toBe(1);
  });

  it("pauses and resumes, and a graceful close waits for the handler and acks it", async () => {
    const t = createAmqpTransport({ url: AMQP_URL });
    open.push(t);
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const got: string[] = [];
    const sub = (await t.subscribe(topic, "g", async (d) => {
      got.push(text(d.message.payload));
      await new Promise((r) => setTimeout(r, 200));
      await d.ack();
    })) as AmqpSubscription;
    await sub.pause();
    await t.publish(topic, { payload: bytes("while paused") });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([]);
    await sub.resume();
    await waitFor(() => got.length === 1, 5000, "the delivery after resume");
    await sub.close({ timeoutMs: 5000 });
    expect(sub.stats.acked).toBe(1);
    expect(sub.inFlight).toBe(0);
  });
});

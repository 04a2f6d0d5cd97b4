import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Router } from "./router.js";
import { InvalidOptionsError } from "./errors.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";

describe("Router", () => {
  it("types and validates payloads per handler", async () => {
    const t = await memoryTransport();
    const topic = topicName("typed");
    const totals: number[] = [];
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      schema: z.object({ qty: z.number().int(), sku: z.string() }),
      handler: async (order) => {
        totals.push(order.qty); // order.qty is typed as number
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({ qty: 3, sku: "A" }) });
    await waitFor(() => totals.length === 1, 5000, "the message");
    expect(totals).toEqual([3]);
    await router.stop();
  });

  it("dead-letters an error nothing handled instead of looping (no middleware at all)", async () => {
    const t = await memoryTransport();
    const topic = topicName("bare");
    let calls = 0;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        calls++;
        throw new Error("bug");
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    expect((await t.readDeadLetters(topic, "g"))[0]?.reason).toBe("handler-error");
    await router.stop();
  });

  it("rejects a bad route with the path of the problem", async () => {
    const t = await memoryTransport();
    expect(() =>
      new Router(t).handle({ topic: "", group: "g", prefetch: 0, handler: async () => undefined }),
    ).toThrow(InvalidOptionsError);
    try {
      new Router(t).handle({ topic: "", group: "g", prefetch: 0, handler: async () => undefined });
    } catch (err) {
      expect((err as Error).message).toMatch(/topic/);
      expect((err as Error).message).toMatch(/prefetch/);
    }
  });

  it("decodes a message that names no content type with the route's codec (JSON unless the route says)", async () => {
    const t = await memoryTransport();
    const topic = topicName("no-content-type");
    const seen: unknown[] = [];
    const router = new Router(t);
    router.handle({
      topic,
      group: "json",
      schema: z.object({ orderId: z.string() }),
      handler: (order) => void seen.push(order.orderId),
    });
    router.handle({
      topic,
      group: "text",
      contentType: "text/plain",
      handler: (text) => void seen.push(text),
    });
    await router.start();
    await t.publish(topic, { payload: new TextEncoder().encode('{"orderId":"o-1"}') }); // no contentType
    await waitFor(() => seen.length === 2, 5000, "both groups");
    expect(seen.sort()).toEqual(["o-1", '{"orderId":"o-1"}']);
    const dead = [...(await t.readDeadLetters(topic, "json")), ...(await t.readDeadLetters(topic, "text"))];
    expect(dead).toEqual([]);
    await router.stop();
  });
});

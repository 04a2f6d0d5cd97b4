/** Delivery: what is published arrives intact, on several topics at once. */
import { expect, it } from "vitest";
import type { Message } from "../../core/message.js";
import { type SuiteContext, json, parse, waitFor } from "./context.js";

export function describeDelivery(ctx: SuiteContext): void {
  it("delivers payload bytes, headers, key and ids intact", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("intact");
    await t.declare({ topic, group: "g" });
    const got: Message[] = [];
    await t.subscribe(topic, "g", async (d) => {
      got.push(d.message);
      await d.ack();
    });
    const payload = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
    const receipt = await t.publish(topic, {
      id: "m-1",
      key: "k-1",
      payload,
      contentType: "application/octet-stream",
      headers: { "x-tenant": "acme", "x-unicode": "zürich ✓" },
      correlationId: "corr-1",
      causationId: "cause-1",
      timestamp: 1_700_000_000_000,
    });
    expect(receipt.id).toBe("m-1");
    await waitFor(() => got.length === 1, ctx.patience, "the message");
    const m = got[0] as Message;
    expect(Array.from(m.payload)).toEqual(Array.from(payload));
    expect(m.id).toBe("m-1");
    expect(m.topic).toBe(topic);
    expect(m.key).toBe("k-1");
    expect(m.contentType).toBe("application/octet-stream");
    expect(m.headers["x-tenant"]).toBe("acme");
    expect(m.headers["x-unicode"]).toBe("zürich ✓");
    expect(m.correlationId).toBe("corr-1");
    expect(m.causationId).toBe("cause-1");
    expect(m.timestamp).toBe(1_700_000_000_000);
    expect(m.attempt).toBe(1);
  });

  it("several topics published and consumed at once: each subscription gets exactly its topic's messages", async () => {
    const pub = await ctx.transport();
    const sub = await ctx.transport();
    const topics = Array.from({ length: 4 }, (_, i) => ctx.unique(`multi${i}`));
    const got = new Map<string, string[]>(topics.map((topic) => [topic, []]));
    for (const topic of topics) {
      await sub.declare({ topic, group: "g" });
      await sub.subscribe(
        topic,
        "g",
        async (d) => {
          got.get(topic)?.push(parse<{ topic: string; i: number }>(d.message.payload).topic);
          await d.ack();
        },
        { prefetch: 5 },
      );
    }
    const n = 25;
    // Every topic from its own concurrent task, interleaved.
    await Promise.all(
      topics.map(async (topic) => {
        for (let i = 0; i < n; i++)
          await pub.publish(topic, { id: `${topic}-${i}`, payload: json({ topic, i }) });
      }),
    );
    await waitFor(
      () => topics.every((topic) => (got.get(topic)?.length ?? 0) >= n),
      ctx.patience,
      `${n} messages on each of ${topics.length} topics`,
    );
    for (const topic of topics) expect(got.get(topic)).toEqual(Array.from({ length: n }, () => topic));
  });
}

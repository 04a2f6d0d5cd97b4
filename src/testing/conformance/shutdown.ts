/** Shutdown: graceful close finishes in-flight work, and nothing is lost across restarts. */
import { expect, it } from "vitest";
import { type SuiteContext, json, pause, waitFor } from "./context.js";

export function describeShutdown(ctx: SuiteContext): void {
  it("nothing is lost across subscriber restarts", async () => {
    const pub = await ctx.transport();
    const topic = ctx.unique("restarts");
    await pub.declare({ topic, group: "g" });
    const got = new Set<string>();
    const n = 100;
    const publishing = (async () => {
      for (let i = 0; i < n; i++) {
        await pub.publish(topic, { id: `r-${i}`, payload: json(i) });
        if (i % 10 === 0) await pause(5);
      }
    })();
    for (let round = 0; round < 4; round++) {
      const t = await ctx.transport();
      const before = got.size;
      const sub = await t.subscribe(
        topic,
        "g",
        async (d) => {
          got.add(d.message.id);
          await d.ack();
        },
        { prefetch: 3 },
      );
      // Each round consumes something (or the publisher is done) before its subscriber goes away.
      await waitFor(() => got.size > before || got.size === n, ctx.patience, `round ${round} to consume`);
      await sub.close({ timeoutMs: 1000 });
      await t.close({ timeoutMs: 1000 });
    }
    await publishing;
    const last = await ctx.transport();
    await last.subscribe(topic, "g", async (d) => {
      got.add(d.message.id);
      await d.ack();
    });
    await waitFor(() => got.size === n, ctx.patience, `all ${n} messages`);
    expect(got.size).toBe(n);
  });

  it("closing a publisher with publishes in flight loses nothing", async () => {
    const consumer = await ctx.transport();
    const topic = ctx.unique("pubclose");
    await consumer.declare({ topic, group: "g" });
    const got = new Set<string>();
    await consumer.subscribe(topic, "g", async (d) => {
      got.add(d.message.id);
      await d.ack();
    });
    const pub = await ctx.transport();
    const n = 200;
    const pending = Array.from({ length: n }, (_, i) =>
      pub.publish(topic, { id: `p-${i}`, payload: json(i) }),
    );
    await pub.close();
    const results = await Promise.allSettled(pending);
    const confirmed = results.filter((r) => r.status === "fulfilled").length;
    expect(confirmed).toBe(n); // a graceful close lets in-flight publishes finish
    await waitFor(() => got.size === confirmed, ctx.patience, "every confirmed message");
  });

  it("graceful shutdown waits for in-flight handlers and acks them", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("graceful");
    await t.declare({ topic, group: "g" });
    let started = 0;
    let finished = 0;
    const sub = await t.subscribe(
      topic,
      "g",
      async (d) => {
        started++;
        await pause(300);
        finished++;
        await d.ack();
      },
      { prefetch: 5 },
    );
    for (let i = 0; i < 3; i++) await t.publish(topic, { id: `s-${i}`, payload: json(i) });
    await waitFor(() => started === 3, ctx.patience, "three handlers to start");
    await sub.close({ timeoutMs: 5000 });
    expect(finished).toBe(3);
    const again: string[] = [];
    const t2 = await ctx.transport();
    await t2.subscribe(topic, "g", async (d) => {
      again.push(d.message.id);
      await d.ack();
    });
    await t2.publish(topic, { id: "marker", payload: json("m") });
    await waitFor(() => again.includes("marker"), ctx.patience, "the marker");
    expect(again).toEqual(["marker"]); // nothing handled before shutdown came back
  });
}

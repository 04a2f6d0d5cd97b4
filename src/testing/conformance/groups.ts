/** Consumer groups: consumers of one group compete; every group gets every message. */
import { expect, it } from "vitest";
import type { Delivery } from "../../core/transport.js";
import { type SuiteContext, featureCase, json, pause, sentinel, waitFor } from "./context.js";

export function describeGroups(ctx: SuiteContext): void {
  it("competing consumers in one group get each message once", async () => {
    const t1 = await ctx.transport();
    const t2 = await ctx.transport();
    const topic = ctx.unique("compete");
    await t1.declare({ topic, group: "workers" });
    const seen: Array<{ consumer: number; id: string }> = [];
    const handler = (consumer: number) => async (d: Delivery) => {
      seen.push({ consumer, id: d.message.id });
      await pause(2);
      await d.ack();
    };
    await t1.subscribe(topic, "workers", handler(1), { prefetch: 5 });
    await t2.subscribe(topic, "workers", handler(2), { prefetch: 5 });
    const n = 60;
    await Promise.all(
      Array.from({ length: n }, (_, i) => t1.publish(topic, { id: `c-${i}`, payload: json(i) })),
    );
    await waitFor(() => seen.length >= n, ctx.patience, `${n} deliveries`);
    // Anything delivered twice would have been delivered before a message published after all of them.
    const mark = await sentinel(ctx, t1, topic, (id) => seen.some((s) => s.id === id));
    const work = seen.filter((s) => s.id !== mark);
    expect(work.length).toBe(n);
    expect(new Set(work.map((s) => s.id)).size).toBe(n);
    expect(new Set(work.map((s) => s.consumer)).size).toBe(2);
  });

  featureCase(
    ctx,
    (f) => f.consumerGroups,
    "every group gets every message",
    async (needs) => {
      const t = await ctx.transport();
      needs(t);
      const topic = ctx.unique("groups");
      await t.declare({ topic, group: "billing" });
      await t.declare({ topic, group: "audit" });
      const got: Record<string, string[]> = { billing: [], audit: [] };
      for (const group of ["billing", "audit"]) {
        await t.subscribe(topic, group, async (d) => {
          got[group]?.push(d.message.id);
          await d.ack();
        });
      }
      const n = 20;
      for (let i = 0; i < n; i++) await t.publish(topic, { id: `g-${i}`, payload: json(i) });
      await waitFor(
        () => got["billing"]?.length === n && got["audit"]?.length === n,
        ctx.patience,
        "both groups",
      );
      expect(new Set(got["billing"]).size).toBe(n);
      expect(new Set(got["audit"]).size).toBe(n);
    },
  );
}

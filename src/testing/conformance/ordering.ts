/** Ordering: per key (or per topic) where `features.ordering` promises it, with prefetch 1. */
import { expect } from "vitest";
import { type SuiteContext, featureCase, json, parse, waitFor } from "./context.js";

export function describeOrdering(ctx: SuiteContext): void {
  featureCase(
    ctx,
    (f) => f.ordering !== "none",
    "keeps per-key order where the transport promises it",
    async (needs) => {
      const t = await ctx.transport();
      needs(t);
      const topic = ctx.unique("order");
      await t.declare({ topic, group: "g" });
      const byKey = new Map<string, number[]>();
      const all: number[] = [];
      await t.subscribe(
        topic,
        "g",
        async (d) => {
          const v = parse<{ k: string; i: number }>(d.message.payload);
          byKey.set(v.k, [...(byKey.get(v.k) ?? []), v.i]);
          all.push(v.i);
          await d.ack();
        },
        { prefetch: 1 },
      );
      const keys = ["a", "b", "c", "d"];
      const n = 80;
      for (let i = 0; i < n; i++) {
        const k = keys[i % keys.length] as string;
        await t.publish(topic, { key: k, payload: json({ k, i }) });
      }
      await waitFor(() => all.length === n, ctx.patience, "all messages");
      for (const seq of byKey.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b));
      if (t.features.ordering === "per-topic") expect(all).toEqual([...all].sort((a, b) => a - b));
    },
  );
}

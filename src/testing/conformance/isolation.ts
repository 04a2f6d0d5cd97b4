/** Topic isolation: a message on one topic never reaches a group of another, even one of the same name. */
import { expect, it } from "vitest";
import { type SuiteContext, json, sentinel, waitFor } from "./context.js";

export function describeIsolation(ctx: SuiteContext): void {
  it("a message on topic A never reaches a group of topic B (same group name)", async () => {
    const t = await ctx.transport();
    const a = ctx.unique("isoA");
    const b = ctx.unique("isoB");
    await t.declare({ topic: a, group: "g" });
    await t.declare({ topic: b, group: "g" });
    const onA: string[] = [];
    const onB: string[] = [];
    await t.subscribe(a, "g", async (d) => {
      onA.push(d.message.id);
      await d.ack();
    });
    await t.subscribe(b, "g", async (d) => {
      onB.push(d.message.id);
      await d.ack();
    });
    const n = 20;
    for (let i = 0; i < n; i++) await t.publish(a, { id: `a-${i}`, payload: json(i) });
    await waitFor(() => onA.length >= n, ctx.patience, `${n} messages on topic A`);
    // A stray copy on B would have been routed at publish time, so it would arrive before this.
    const mark = await sentinel(ctx, t, b, (id) => onB.includes(id));
    expect(onB).toEqual([mark]);
    expect(new Set(onA).size).toBe(n);
    expect(onA.length).toBe(n);
  });
}

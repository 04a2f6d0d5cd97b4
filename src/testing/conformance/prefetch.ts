/** Prefetch: a consumer never holds more unsettled deliveries than its prefetch. */
import { expect, it } from "vitest";
import { type SuiteContext, json, waitFor } from "./context.js";

export function describePrefetch(ctx: SuiteContext): void {
  it("a consumer never holds more unsettled messages than its prefetch", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("prefetch");
    await t.declare({ topic, group: "g" });
    const n = 12;
    for (let i = 0; i < n; i++) await t.publish(topic, { id: `f-${i}`, payload: json(i) });
    const prefetch = 3;
    const gates: Array<() => void> = [];
    let held = 0;
    let most = 0;
    let done = 0;
    await t.subscribe(
      topic,
      "g",
      async (d) => {
        held++;
        most = Math.max(most, held);
        await new Promise<void>((release) => gates.push(release));
        await d.ack();
        held--;
        done++;
      },
      { prefetch },
    );
    // Every message is on the broker before the first is let go: an unbounded consumer would take them all.
    for (let released = 0; released < n; released++) {
      // A consumer may refill in batches (Redis waits for half its prefetch to be free): only the bound is the rule.
      await waitFor(
        () => done === released && held >= 1,
        ctx.patience,
        `a held delivery after ${released} settled`,
      );
      expect(held).toBeLessThanOrEqual(prefetch);
      gates.shift()?.();
    }
    await waitFor(() => done === n, ctx.patience, "every message settled");
    expect(most).toBe(prefetch); // it did use its prefetch: 12 were waiting
  });
}

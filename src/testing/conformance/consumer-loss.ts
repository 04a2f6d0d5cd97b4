/** Consumer loss: what a lost or closed consumer held goes to another consumer of the group. */
import { expect, it } from "vitest";
import type { Message } from "../../core/message.js";
import { type SuiteContext, featureCase, json, waitFor } from "./context.js";

export function describeConsumerLoss(ctx: SuiteContext): void {
  featureCase(
    ctx,
    (f) => f.redeliversOnConsumerLoss,
    "a consumer lost without acking: its message goes to another consumer",
    async (needs) => {
      const lost = await ctx.transport();
      needs(lost);
      const topic = ctx.unique("lost");
      await lost.declare({ topic, group: "g" });
      let held = 0;
      await lost.subscribe(topic, "g", async () => {
        held++;
        await new Promise(() => undefined); // hangs forever, never settles
      });
      await lost.publish(topic, { id: "held-1", payload: json("x") });
      await waitFor(() => held === 1, ctx.patience, "the first consumer to hold the message");
      await lost.abort();
      const other = await ctx.transport();
      const got: Message[] = [];
      await other.subscribe(topic, "g", async (d) => {
        got.push(d.message);
        await d.ack();
      });
      await waitFor(() => got.length === 1, ctx.patience, "redelivery to the second consumer");
      expect(got[0]?.id).toBe("held-1");
      expect(got[0]?.attempt).toBeGreaterThanOrEqual(2);
    },
  );

  it("a subscription closed with a stuck handler returns its message, not loses it", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("closed");
    await t.declare({ topic, group: "g" });
    let held = 0;
    const sub = await t.subscribe(topic, "g", async () => {
      held++;
      await new Promise(() => undefined);
    });
    await t.publish(topic, { id: "stuck-1", payload: json("x") });
    await waitFor(() => held === 1, ctx.patience, "the message to be held");
    await sub.close({ timeoutMs: 100 });
    const got: string[] = [];
    const t2 = await ctx.transport();
    await t2.subscribe(topic, "g", async (d) => {
      got.push(d.message.id);
      await d.ack();
    });
    await waitFor(() => got.length === 1, ctx.patience, "redelivery after close");
    expect(got).toEqual(["stuck-1"]);
  });
}

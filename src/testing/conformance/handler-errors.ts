/**
 * A handler that throws without settling: the transport retries the delivery (counting the attempt) and,
 * when it never succeeds, its delivery limit dead-letters it. Never lost, never stuck, the queue flows.
 */
import { expect, it } from "vitest";
import { type SuiteContext, json, waitFor } from "./context.js";

export function describeHandlerErrors(ctx: SuiteContext): void {
  it("a handler that throws without settling gets the message again, attempt counted", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("throws");
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    const acked: string[] = [];
    await t.subscribe(topic, "g", async (d) => {
      attempts.push(d.message.attempt);
      if (d.message.attempt < 3) throw new Error(`failing attempt ${d.message.attempt}`);
      acked.push(d.message.id);
      await d.ack();
    });
    await t.publish(topic, { id: "t-1", payload: json("x") });
    await waitFor(() => acked.length === 1, ctx.patience, "the third attempt to succeed");
    expect(attempts).toEqual([1, 2, 3]);
    expect(await t.readDeadLetters(topic, "g")).toEqual([]);
  });

  it("a handler that always throws: the message is dead-lettered by the delivery limit, the queue keeps flowing", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("alwaysthrows");
    await t.declare({ topic, group: "g" });
    let poisonSeen = 0;
    const good = new Set<string>();
    await t.subscribe(
      topic,
      "g",
      async (d) => {
        if (d.message.id === "poison") {
          poisonSeen++;
          throw new Error("cannot process this one");
        }
        good.add(d.message.id);
        await d.ack();
      },
      { prefetch: 5 },
    );
    await t.publish(topic, { id: "poison", payload: json("poison") });
    const n = 30;
    for (let i = 0; i < n; i++) await t.publish(topic, { id: `ok-${i}`, payload: json(i) });
    await waitFor(() => good.size === n, ctx.patience, "the good messages past the poison");
    await waitFor(
      async () => (await t.readDeadLetters(topic, "g")).length === 1,
      ctx.patience * 2,
      "the poison message in the dead letters",
    );
    const [dl] = await t.readDeadLetters(topic, "g");
    expect(dl?.message.id).toBe("poison");
    expect(dl?.reason).toMatch(/\S/);
    expect(poisonSeen).toBeGreaterThanOrEqual(2);
  }, 120_000);
}

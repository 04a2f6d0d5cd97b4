/** Retry: a retried message comes back with its attempt counted, and a delayed one not before its time. */
import { expect, it } from "vitest";
import { type SuiteContext, json, waitFor } from "./context.js";

export function describeRetry(ctx: SuiteContext): void {
  it("retry() redelivers the message with the attempt counted", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("retry");
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    await t.subscribe(topic, "g", async (d) => {
      attempts.push(d.message.attempt);
      if (d.message.attempt < 3) await d.retry({ delayMs: 0 });
      else await d.ack();
    });
    await t.publish(topic, { payload: json("again") });
    await waitFor(() => attempts.length === 3, ctx.patience, "three attempts");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("retry({ countAttempt: false }) redelivers without counting an attempt", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("defer");
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    await t.subscribe(topic, "g", async (d) => {
      attempts.push(d.message.attempt);
      if (attempts.length === 1) await d.retry({ delayMs: 0, countAttempt: false });
      else await d.ack();
    });
    await t.publish(topic, { payload: json("deferred") });
    await waitFor(() => attempts.length === 2, ctx.patience, "the deferred redelivery");
    expect(attempts).toEqual([1, 1]);
  });

  it("retry() with a delay is not delivered before its time", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("delay");
    await t.declare({ topic, group: "g" });
    const times: number[] = [];
    let retriedAt = 0;
    const delayMs = 600;
    await t.subscribe(topic, "g", async (d) => {
      times.push(Date.now());
      if (d.message.attempt === 1) {
        retriedAt = Date.now();
        await d.retry({ delayMs });
      } else await d.ack();
    });
    await t.publish(topic, { payload: json("later") });
    await waitFor(() => times.length === 2, ctx.patience + delayMs, "the delayed redelivery");
    // Timer resolution may round a few ms; a redelivery before (delay - 5 ms) would be early.
    expect((times[1] as number) - retriedAt).toBeGreaterThanOrEqual(delayMs - 5);
  });
}

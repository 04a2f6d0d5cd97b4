/**
 * Cancellation. Subscription: closing one stops its deliveries while other subscriptions (same group or
 * another) keep going. Message: a handler that outlives the timeout middleware sees its context's signal
 * aborted, and the delivery is retried rather than held.
 */
import { expect, it } from "vitest";
import { Router } from "../../core/router.js";
import { retry } from "../../middleware/retry.js";
import { timeout } from "../../middleware/timeout.js";
import { type SuiteContext, json, sentinel, waitFor } from "./context.js";

export function describeCancellation(ctx: SuiteContext): void {
  it("closing a subscription stops its deliveries; the other subscriptions keep going", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("subcancel");
    await t.declare({ topic, group: "g" });
    await t.declare({ topic, group: "other" });
    const closedGot: string[] = [];
    const sameGot: string[] = [];
    const otherGot: string[] = [];
    const closing = await t.subscribe(topic, "g", async (d) => {
      closedGot.push(d.message.id);
      await d.ack();
    });
    await t.subscribe(topic, "g", async (d) => {
      sameGot.push(d.message.id);
      await d.ack();
    });
    await t.subscribe(topic, "other", async (d) => {
      otherGot.push(d.message.id);
      await d.ack();
    });
    await t.publish(topic, { id: "before", payload: json(0) });
    await waitFor(
      () => otherGot.includes("before") && [...closedGot, ...sameGot].includes("before"),
      ctx.patience,
      "the first message in both groups",
    );
    await closing.close({ timeoutMs: 2000 });
    const atClose = closedGot.length;
    const n = 20;
    for (let i = 0; i < n; i++) await t.publish(topic, { id: `after-${i}`, payload: json(i) });
    const mark = await sentinel(ctx, t, topic, (id) => sameGot.includes(id));
    await waitFor(() => otherGot.includes(mark), ctx.patience, "the other group to get everything");
    expect(closedGot.length).toBe(atClose); // nothing reached the closed subscription
    expect(sameGot.filter((id) => id.startsWith("after-")).length).toBe(n);
    expect(otherGot.filter((id) => id.startsWith("after-")).length).toBe(n);
  });

  it("a handler past its timeout sees its signal aborted, and the message is retried, not held", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("msgcancel");
    const aborted: string[] = [];
    const done: number[] = [];
    const router = new Router(t, {
      middleware: [retry({ attempts: 3, baseMs: 10, maxMs: 20 }), timeout({ ms: 100 })],
    });
    router.handle({
      topic,
      group: "g",
      handler: async (_payload, c) => {
        if (c.message.attempt === 1) {
          // Cooperative work: stops when told to.
          await new Promise<void>((resolve) =>
            c.signal.addEventListener("abort", () => resolve(), { once: true }),
          );
          aborted.push(String((c.signal.reason as Error | undefined)?.name));
          return;
        }
        done.push(c.message.attempt);
      },
    });
    await router.start();
    await t.publish(topic, { payload: json("slow"), contentType: "application/json" });
    await waitFor(() => done.length === 1, ctx.patience, "the retried delivery");
    expect(aborted).toEqual(["HandlerTimeoutError"]);
    expect(done).toEqual([2]);
    await router.stop();
  });
}

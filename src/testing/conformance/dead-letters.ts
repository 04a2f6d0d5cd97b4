/** Dead letters through the Router: a poison message and an invalid payload, each with its reason. */
import { expect, it } from "vitest";
import { z } from "zod";
import { Headers } from "../../core/message.js";
import { Router } from "../../core/router.js";
import { deadLetter } from "../../middleware/dead-letter.js";
import { retry } from "../../middleware/retry.js";
import { type SuiteContext, bytes, json, parse, waitFor } from "./context.js";

export function describeDeadLetters(ctx: SuiteContext): void {
  it("a poison message is dead-lettered with its reason after max attempts, and the queue keeps flowing", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("poison");
    const ok: number[] = [];
    const router = new Router(t, {
      middleware: [deadLetter(), retry({ attempts: 3, baseMs: 10, maxMs: 50 })],
    });
    router.handle({
      topic,
      group: "g",
      schema: z.object({ n: z.number() }),
      handler: async ({ n }) => {
        if (n === 13) throw new Error("thirteen is unlucky");
        ok.push(n);
      },
    });
    await router.start();
    for (const n of [1, 13, 2, 3])
      await t.publish(topic, { payload: json({ n }), contentType: "application/json" });
    await waitFor(
      async () => (await t.readDeadLetters(topic, "g")).length === 1,
      ctx.patience,
      "the dead letter",
    );
    await waitFor(() => ok.length === 3, ctx.patience, "the good messages");
    const [dl] = await t.readDeadLetters(topic, "g");
    expect(dl?.reason).toBe("max-attempts");
    expect(dl?.headers[Headers.deadLetterErrorMessage]).toBe("thirteen is unlucky");
    expect(dl?.headers[Headers.deadLetterErrorName]).toBe("Error");
    expect(dl?.headers[Headers.attempt]).toBe("3");
    expect(dl?.headers[Headers.originalDestination]).toBe(topic);
    expect(dl?.headers[Headers.firstFailureAt]).toBeDefined();
    expect(dl?.headers[Headers.lastFailureAt]).toBeDefined();
    expect(parse(dl?.message.payload ?? json(null))).toEqual({ n: 13 });
    await router.stop();
  });

  it("an invalid payload is dead-lettered as invalid-payload without blocking the queue", async () => {
    const t = await ctx.transport();
    const topic = ctx.unique("invalid");
    const ok: string[] = [];
    const router = new Router(t, { middleware: [deadLetter(), retry({ attempts: 5, baseMs: 10 })] });
    router.handle({
      topic,
      group: "g",
      schema: z.object({ orderId: z.string(), amount: z.string().regex(/^\d+\.\d{2}$/) }),
      handler: async (order) => {
        ok.push(order.orderId);
      },
    });
    await router.start();
    const asJson = { contentType: "application/json" };
    await t.publish(topic, { ...asJson, payload: bytes("{not json") });
    await t.publish(topic, { ...asJson, payload: json({ orderId: "o-1", amount: 12.5 }) });
    await t.publish(topic, { ...asJson, payload: json({ orderId: "o-2", amount: "12.50" }) });
    await waitFor(() => ok.length === 1, ctx.patience, "the valid message");
    await waitFor(
      async () => (await t.readDeadLetters(topic, "g")).length === 2,
      ctx.patience,
      "two dead letters",
    );
    const dls = await t.readDeadLetters(topic, "g");
    expect(dls.map((d) => d.reason)).toEqual(["invalid-payload", "invalid-payload"]);
    const details = dls.map((d) => d.headers[Headers.deadLetterDetails] ?? "");
    expect(details.some((d) => d.includes("amount"))).toBe(true);
    expect(ok).toEqual(["o-2"]);
    await router.stop();
  });
}

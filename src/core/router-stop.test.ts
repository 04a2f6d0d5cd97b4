import { describe, expect, it } from "vitest";
import { MqaError } from "./errors.js";
import { Router } from "./router.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";

describe("Router.stop cancels handlers it can no longer wait for", () => {
  it("aborts ctx.signal with `closed` at the timeout; the message is neither acked nor dead-lettered", async () => {
    const t = await memoryTransport();
    const topic = topicName("stop-cancel");
    const seen: unknown[] = [];
    let started = 0;
    const router = new Router(t, { handlerTimeoutMs: false });
    router.handle({
      topic,
      group: "g",
      handler: async (_payload, ctx) => {
        started++;
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        seen.push(ctx.signal.reason);
        throw ctx.signal.reason;
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({ n: 1 }) });
    await waitFor(() => started === 1, 5000, "the handler to start");
    await router.stop({ timeoutMs: 50 });
    await waitFor(() => seen.length === 1, 5000, "the handler to see the abort");
    expect(MqaError.is(seen[0], "closed")).toBe(true);
    expect(await t.readDeadLetters(topic, "g")).toEqual([]);

    // The message went back to the broker: a new consumer gets it again.
    let again = 0;
    const next = new Router(t);
    next.handle({ topic, group: "g", handler: async () => void again++ });
    await next.start();
    await waitFor(() => again === 1, 5000, "the redelivery");
    await next.stop();
    await t.close();
  });

  it("a handler that finishes within the timeout is not aborted", async () => {
    const t = await memoryTransport();
    const topic = topicName("stop-graceful");
    const aborted: boolean[] = [];
    let started = 0;
    let release: () => void = () => undefined;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      handler: async (_payload, ctx) => {
        started++;
        await new Promise<void>((resolve) => (release = resolve));
        aborted.push(ctx.signal.aborted);
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(() => started === 1, 5000, "the handler to start");
    const stopping = router.stop({ timeoutMs: 5000 });
    release();
    await stopping;
    expect(aborted).toEqual([false]);
    await t.close();
  });
});

/**
 * The Router's handler timeout on Redis: a hung handler's entry is retried through Redis with its reason,
 * counted as one attempt, and the hung handler no longer holds the consumer's only slot.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Router, RETRY_REASON_HEADER } from "../../core/router.js";
import { bytes, transportFactory, until } from "../../../test/redis-helpers.js";

const f = transportFactory();
afterAll(() => f.cleanup());

describe("redis under the Router's handler timeout", () => {
  it("retries a hung handler's message with reason handler-timeout, freeing its slot", async () => {
    const t = f.create({ claimIdleMs: 300, claimIntervalMs: 50 });
    const topic = "hung";
    const seen: { id: string; attempt: number; reason: string | undefined }[] = [];
    const router = new Router(t, { handlerTimeoutMs: 200 });
    router.handle({
      topic,
      group: "g",
      prefetch: 1,
      contentType: "application/octet-stream",
      handler: async (_p, ctx) => {
        const m = ctx.message;
        seen.push({ id: m.id, attempt: m.attempt, reason: m.headers[RETRY_REASON_HEADER] });
        if (m.id === "hangs" && m.attempt === 1) await new Promise(() => undefined);
      },
    });
    await router.start();
    await t.publish(topic, { id: "hangs", payload: bytes("x") });
    await t.publish(topic, { id: "next", payload: bytes("y") });
    await until(() => seen.length === 3, "the next message and the retry");
    expect(seen).toContainEqual({ id: "next", attempt: 1, reason: undefined });
    // Attempt 2, not more: while it hung, no reclaim counted a delivery of its entry.
    expect(seen).toContainEqual({ id: "hangs", attempt: 2, reason: "handler-timeout" });
    await until(async () => (await t.inspect(topic, "g"))[0]?.pending === 0, "nothing pending");
    expect(t.stats.reclaimed).toBe(0);
    await router.stop({ timeoutMs: 100 });
  });
});

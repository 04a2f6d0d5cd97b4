/**
 * A slow handler's entry is not reclaimed from its live consumer: its idle time is refreshed (XCLAIM …
 * JUSTID) while the handler runs, so neither its own reclaim rounds nor another consumer's take it, and its
 * delivery count stays 1.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { bytes, REDIS_URL, transportFactory, until } from "../../../test/redis-helpers.js";

const f = transportFactory();
afterAll(() => f.cleanup());

describe("redis entries held by a running handler", () => {
  it("are refreshed, never reclaimed, and keep their delivery count", async () => {
    const timing = { claimIdleMs: 300, claimIntervalMs: 50 };
    const slow = f.create(timing);
    const other = f.create(timing);
    const topic = "slow";
    await slow.declare({ topic, group: "g" });
    let release: (() => void) | undefined;
    let deliveries = 0;
    await slow.subscribe(
      topic,
      "g",
      async (d) => {
        deliveries++;
        await new Promise<void>((r) => (release = r));
        await d.ack();
      },
      { prefetch: 2 },
    );
    await slow.publish(topic, { id: "held", payload: bytes("x") });
    await until(() => deliveries === 1, "the delivery");
    // Another consumer of the group, reclaiming every 50 ms anything idle for 300 ms.
    let stolen = 0;
    await other.subscribe(topic, "g", async (d) => {
      stolen++;
      await d.ack();
    });
    // Each refresh is one timer period (at least 50 ms) after the previous: 16 of them span more than
    // twice claimIdleMs, so without them the entry would have looked idle to both consumers' rounds.
    await until(() => slow.stats.refreshedHeld >= 16, "sixteen refreshes");
    const r = new Redis(REDIS_URL);
    try {
      const pending = (await r.xpending(slow.names.stream(topic), "g", "-", "+", 10)) as [
        string,
        string,
        number,
        number,
      ][];
      expect(pending).toHaveLength(1);
      expect(pending[0]![3]).toBe(1); // delivered once: no reclaim counted a delivery
    } finally {
      r.disconnect();
    }
    expect(slow.stats.reclaimed + other.stats.reclaimed).toBe(0);
    expect(stolen).toBe(0);
    expect(deliveries).toBe(1);
    release?.();
    await until(async () => (await slow.inspect(topic, "g"))[0]?.pending === 0, "the ack");
  });
});

/** A consumer killed mid-handling (connections dropped, nothing settled): its messages reach another consumer. */
import { expect, it } from "vitest";
import { type FaultContext, waitFor } from "./context.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describeConsumerKilled(ctx: FaultContext): void {
  it("a consumer killed holding a full prefetch: every message it held is handled by another consumer", async () => {
    const topic = ctx.unique("killed");
    const pub = await ctx.direct();
    await pub.declare({ topic, group: "g" });
    const n = 40;
    for (let i = 0; i < n; i++) await pub.publish(topic, { id: `k${i}`, payload: bytes(String(i)) });
    const victim = await ctx.direct();
    const held = new Set<string>();
    await victim.subscribe(
      topic,
      "g",
      async (d) => {
        held.add(d.message.id);
        await new Promise(() => undefined); // mid-handling when it dies
      },
      { prefetch: 8 },
    );
    await waitFor(() => held.size === 8, ctx.patience, "the victim to hold a full prefetch");
    await victim.abort();
    const survivor = await ctx.direct();
    const got = new Map<string, number>();
    await survivor.subscribe(
      topic,
      "g",
      async (d) => {
        got.set(d.message.id, d.message.attempt);
        await d.ack();
      },
      { prefetch: 8 },
    );
    await waitFor(() => got.size === n, ctx.patience, `all ${n} messages handled by the survivor`);
    for (const id of held) expect(got.get(id), `attempt of ${id}`).toBeGreaterThanOrEqual(2);
  }, 120_000);
}

/** Connections cut through the fault proxy mid-flow: each publish settles, every confirmed one is consumed. */
import { expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { type FaultContext, waitFor } from "./context.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describeCut(ctx: FaultContext): void {
  it("connections cut repeatedly during 3,000 publishes: each settles, every confirmed message is consumed", async () => {
    const { proxy, transport } = await ctx.proxied();
    const topic = ctx.unique("cut");
    const pub = await transport();
    const sub = await transport();
    await pub.declare({ topic, group: "g" });
    const consumed = new Set<string>();
    await sub.subscribe(
      topic,
      "g",
      async (d) => {
        consumed.add(d.message.id);
        await d.ack();
      },
      { prefetch: 50 },
    );
    // Cuts while publishes are in flight: batch by batch, every other batch is cut right after it is sent.
    const n = 3000;
    const batch = 300;
    const results: Array<PromiseSettledResult<unknown>> = [];
    for (let b = 0; b < n / batch; b++) {
      const sent = Array.from({ length: batch }, (_, j) => {
        const i = b * batch + j;
        return pub.publish(topic, { id: `c${i}`, payload: bytes(String(i)) });
      });
      if (b % 2 === 1) {
        await new Promise((r) => setTimeout(r, 2));
        proxy.cut();
      }
      results.push(...(await Promise.allSettled(sent)));
    }
    const confirmed = results.flatMap((r, i) => (r.status === "fulfilled" ? [`c${i}`] : []));
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(MqaError);
    expect(proxy.cuts).toBe(n / batch / 2);
    expect(confirmed.length).toBeGreaterThan(0);
    await waitFor(
      () => confirmed.every((id) => consumed.has(id)),
      ctx.patience * 2,
      "every confirmed message to be consumed",
    );
    console.log(
      `[${ctx.target.name}] cut: cuts=${proxy.cuts} confirmed=${confirmed.length}/${n} consumed=${consumed.size}`,
    );
  }, 180_000);
}

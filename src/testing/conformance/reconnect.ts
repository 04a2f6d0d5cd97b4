/**
 * Reconnect through a fault proxy (targets with `proxied`): connections cut mid-flow, every publish
 * settles, everything confirmed is delivered, and the subscription resumes without user code.
 */
import { expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import type { Transport } from "../../core/transport.js";
import { FaultProxy } from "../mod.js";
import { type SuiteContext, json, pause, waitFor } from "./context.js";

export function describeReconnect(ctx: SuiteContext): void {
  const proxied = ctx.target.proxied;
  if (proxied === undefined) return;
  const proxies: FaultProxy[] = [];
  // After the suite closed its transports: a proxy stopped first would leave them reconnecting.
  ctx.onFinish(async () => void (await Promise.all(proxies.map((p) => p.stop()))));
  const behindProxy = async (): Promise<{ proxy: FaultProxy; make: () => Promise<Transport> }> => {
    const proxy = new FaultProxy({ targetPort: proxied.brokerPort });
    proxies.push(proxy);
    await proxy.start();
    return {
      proxy,
      make: async () => {
        const t = ctx.adopt(await proxied.create(proxy.port));
        await t.connect();
        return t;
      },
    };
  };

  it("connections cut mid-flow: every publish settles and every confirmed message is delivered", async () => {
    const { proxy, make } = await behindProxy();
    const pub = await make();
    const sub = await make();
    const topic = ctx.unique("cut");
    await pub.declare({ topic, group: "g" });
    const got = new Set<string>();
    await sub.subscribe(
      topic,
      "g",
      async (d) => {
        got.add(d.message.id);
        await d.ack();
      },
      { prefetch: 20 },
    );
    // Cuts while publishes are in flight: batch by batch, every other batch is cut right after it is sent.
    const n = 600;
    const batch = 100;
    const results: Array<PromiseSettledResult<unknown>> = [];
    for (let b = 0; b < n / batch; b++) {
      const sent = Array.from({ length: batch }, (_, j) => {
        const i = b * batch + j;
        return pub.publish(topic, { id: `x-${i}`, payload: json(i) });
      });
      if (b % 2 === 1) {
        await pause(1);
        proxy.cut();
      }
      results.push(...(await Promise.allSettled(sent)));
    }
    const confirmed = results.flatMap((r, i) => (r.status === "fulfilled" ? [`x-${i}`] : []));
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(MqaError);
    expect(proxy.cuts).toBeGreaterThan(0);
    await waitFor(() => confirmed.every((id) => got.has(id)), ctx.patience * 2, "every confirmed message");
    // The same subscription, after the cuts, still consumes.
    await pub.publish(topic, { id: "after-cuts", payload: json("after") });
    await waitFor(() => got.has("after-cuts"), ctx.patience, "the subscription to resume by itself");
  }, 120_000);

  it("a subscriber cut while it holds messages: each is settled across the cut or redelivered, none lost", async () => {
    const { proxy, make } = await behindProxy();
    const pub = await ctx.transport(); // direct: only the subscriber's connection is cut
    const sub = await make();
    const topic = ctx.unique("cutsub");
    await pub.declare({ topic, group: "g" });
    const n = 40;
    for (let i = 0; i < n; i++) await pub.publish(topic, { id: `h-${i}`, payload: json(i) });
    const heldIds = new Set<string>();
    const afterCut = new Map<string, number>();
    const ackedAcrossCut = new Set<string>();
    let holding = true;
    await sub.subscribe(
      topic,
      "g",
      async (d) => {
        if (holding) {
          heldIds.add(d.message.id);
          await waitFor(() => !holding, ctx.patience * 2, "the cut");
          // Settled across the cut: it counts only if the ack went through (a transport may instead drop it
          // as stale, and then the broker must deliver the message again).
          if (
            await d.ack().then(
              () => true,
              () => false,
            )
          )
            ackedAcrossCut.add(d.message.id);
          return;
        }
        afterCut.set(d.message.id, d.message.attempt);
        await d.ack();
      },
      { prefetch: 5 },
    );
    await waitFor(() => heldIds.size >= 5, ctx.patience, "five held deliveries");
    proxy.cut();
    holding = false;
    const accounted = (): number => new Set([...afterCut.keys(), ...ackedAcrossCut]).size;
    await waitFor(() => accounted() === n, ctx.patience * 2, `all ${n} messages settled or redelivered`);
    for (const id of heldIds)
      if (afterCut.has(id)) expect(afterCut.get(id), `redelivered ${id}`).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("close while the broker is unreachable returns and ends closed", async () => {
    const { proxy, make } = await behindProxy();
    const t = await make();
    const topic = ctx.unique("downclose");
    await t.declare({ topic, group: "g" });
    await t.subscribe(topic, "g", async (d) => d.ack());
    proxy.refuse(true);
    try {
      proxy.cut();
      await waitFor(() => t.state.status !== "ready", ctx.patience, "the transport to notice the cut");
      let returned = false;
      const closing = t.close({ timeoutMs: 1000 }).finally(() => (returned = true));
      await waitFor(() => returned, ctx.patience, "close() to return while the broker is unreachable");
      await closing.catch(() => undefined);
      expect(t.state.status).toBe("closed");
    } finally {
      proxy.refuse(false);
    }
  });
}

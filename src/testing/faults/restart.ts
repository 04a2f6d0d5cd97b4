/** The broker restarted mid-run: nothing confirmed is lost and consumers resume without user code. */
import { expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/transport.js";
import { type FaultContext, waitFor } from "./context.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describeRestart(ctx: FaultContext): void {
  it("broker restarted mid-stream: every confirmed message is consumed and the subscription resumes by itself", async () => {
    const topic = ctx.unique("restart");
    const pub = await ctx.direct();
    const sub = await ctx.direct();
    await pub.declare({ topic, group: "g" });
    const consumed = new Set<string>();
    const states: ConnectionState["status"][] = [];
    sub.onStateChange((s) => states.push(s.status));
    await sub.subscribe(
      topic,
      "g",
      async (d) => {
        consumed.add(d.message.id);
        await d.ack();
      },
      { prefetch: 20 },
    );
    const confirmed: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const id = `r${next++}`;
        try {
          await pub.publish(topic, { id, payload: bytes(id) });
          confirmed.push(id);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const workers = Array.from({ length: 10 }, worker);
    await waitFor(() => consumed.size >= 200, ctx.patience, "traffic before the restart");
    await ctx.broker().restart();
    const atRestart = confirmed.length;
    await waitFor(
      () => confirmed.length > atRestart + 200,
      ctx.patience * 2,
      "publishes confirmed after the restart",
    );
    stop = true;
    await Promise.all(workers);
    for (const err of failures) expect(err).toBeInstanceOf(MqaError);
    expect(states).toContain("reconnecting");
    await waitFor(
      () => confirmed.every((id) => consumed.has(id)),
      ctx.patience * 2,
      "every confirmed message to be consumed",
    );
    await pub.publish(topic, { id: "after", payload: bytes("after") });
    await waitFor(() => consumed.has("after"), ctx.patience, "the subscription to resume");
    expect(states.lastIndexOf("ready")).toBeGreaterThan(states.indexOf("reconnecting"));
    console.log(
      `[${ctx.target.name}] restart: confirmed=${confirmed.length} failed=${failures.length} consumed=${consumed.size}`,
    );
  }, 240_000);
}

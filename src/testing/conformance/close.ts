/**
 * Concurrency and close: closing while several tasks publish and consume settles every publish (confirmed
 * or rejected with an MqaError, never hung) and loses no confirmed message; close is idempotent and may
 * race connect.
 */
import { expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { type SuiteContext, json, pause, waitFor } from "./context.js";

export function describeClose(ctx: SuiteContext): void {
  it("close while several tasks publish: each publish settles, every confirmed message is consumed", async () => {
    const consumer = await ctx.transport();
    const topic = ctx.unique("closepub");
    await consumer.declare({ topic, group: "g" });
    const got = new Set<string>();
    await consumer.subscribe(
      topic,
      "g",
      async (d) => {
        got.add(d.message.id);
        await d.ack();
      },
      { prefetch: 20 },
    );
    const pub = await ctx.transport();
    const confirmed: string[] = [];
    const failures: unknown[] = [];
    let attempted = 0;
    const task = async (w: number): Promise<void> => {
      for (let i = 0; ; i++) {
        const id = `w${w}-${i}`;
        attempted++;
        try {
          await pub.publish(topic, { id, payload: json(i) });
          confirmed.push(id);
        } catch (err) {
          failures.push(err);
          return; // closed: this task stops
        }
        await new Promise((r) => setImmediate(r)); // let timers run even when publish never waits for I/O
      }
    };
    const tasks = Array.from({ length: 5 }, (_, w) => task(w));
    await waitFor(() => confirmed.length >= 50, ctx.patience, "publishing under way");
    await pub.close({ timeoutMs: 2000 });
    await Promise.all(tasks);
    expect(failures.length).toBe(5); // every task ended on a rejected publish, none hung
    for (const err of failures) expect(err).toBeInstanceOf(MqaError);
    expect(confirmed.length + failures.length).toBe(attempted);
    await waitFor(() => confirmed.every((id) => got.has(id)), ctx.patience, "every confirmed message");
  });

  it("close while several subscriptions consume: nothing in flight is lost", async () => {
    const pub = await ctx.transport();
    const topic = ctx.unique("closesub");
    await pub.declare({ topic, group: "g" });
    const n = 150;
    for (let i = 0; i < n; i++) await pub.publish(topic, { id: `m-${i}`, payload: json(i) });
    const acked = new Set<string>();
    const t = await ctx.transport();
    for (let s = 0; s < 3; s++)
      await t.subscribe(
        topic,
        "g",
        async (d) => {
          await pause(3);
          await d.ack();
          acked.add(d.message.id);
        },
        { prefetch: 4 },
      );
    await waitFor(() => acked.size >= 20, ctx.patience, "consumption under way");
    await Promise.all([t.close({ timeoutMs: 2000 }), t.close({ timeoutMs: 2000 })]);
    expect(t.state.status).toBe("closed");
    const rest = await ctx.transport();
    await rest.subscribe(topic, "g", async (d) => {
      acked.add(d.message.id);
      await d.ack();
    });
    await waitFor(() => acked.size === n, ctx.patience, `all ${n} messages acked by someone`);
  });

  it("close twice: the second call also returns only once the transport is closed; a closed one refuses to publish", async () => {
    const t = await ctx.transport();
    const first = t.close();
    await t.close(); // e.g. two signal handlers: the second caller must not run on while the first still closes
    expect(t.state.status).toBe("closed");
    await first;
    await t.close();
    expect(t.state.status).toBe("closed");
    await expect(t.publish(ctx.unique("closed"), { payload: json("x") })).rejects.toBeInstanceOf(MqaError);
  });

  it("close racing connect: both settle and the transport ends closed", async () => {
    const t = await ctx.unconnected();
    const connecting = t.connect();
    const closing = t.close({ timeoutMs: 2000 });
    const [connected, closed] = await Promise.allSettled([connecting, closing]);
    expect(closed.status).toBe("fulfilled");
    if (connected.status === "rejected") expect(connected.reason).toBeInstanceOf(MqaError);
    await waitFor(() => t.state.status === "closed", ctx.patience, "the transport to end closed");
    await t.close();
    expect(t.state.status).toBe("closed");
  });
}

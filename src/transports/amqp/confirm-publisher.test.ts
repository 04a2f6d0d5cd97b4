import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy, waitFor } from "../../testing/mod.js";
import { type AmqpTransport, type AmqpTransportOptions, createAmqpTransport } from "./mod.js";
import { AMQP_PORT, testTopics } from "../../../test/support/amqp.js";

const open: AmqpTransport[] = [];
const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.abort()));
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});
const newTopic = testTopics("pub");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function setup(
  options: AmqpTransportOptions = {},
): Promise<{ t: AmqpTransport; p: FaultProxy; topic: string }> {
  const p = new FaultProxy({ targetPort: AMQP_PORT });
  await p.start();
  proxies.push(p);
  const t = createAmqpTransport({
    url: `amqp://guest:guest@127.0.0.1:${p.port}`,
    reconnect: { baseMs: 20, maxMs: 200 },
    ...options,
  });
  open.push(t);
  const topic = newTopic();
  await t.declare({ topic, group: "g" });
  return { t, p, topic };
}

describe("ConfirmPublisher (through the transport)", () => {
  it("waits while disconnected and resolves after a confirm on the new connection", async () => {
    const { t, p, topic } = await setup();
    p.refuse(true);
    p.cut();
    await waitFor(() => t.state.status === "reconnecting", 5000, "the disconnect");
    const pending = t.publish(topic, { id: "while-down", payload: bytes("x") });
    let settled = false;
    void pending.finally(() => (settled = true)).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // never resolves without a confirm
    p.refuse(false);
    await expect(pending).resolves.toEqual({ id: "while-down" });
    expect(t.publisherStats.confirmed).toBe(1);
  });

  it("rejects with publish-timeout when the broker never confirms", async () => {
    const { t, p, topic } = await setup();
    await t.publish(topic, { payload: bytes("warm") });
    p.stall();
    await expect(t.publish(topic, { payload: bytes("x") }, { timeoutMs: 300 })).rejects.toMatchObject({
      code: "publish-timeout",
    });
  });

  it("bounds publishes waiting for a connection", async () => {
    const { t, p, topic } = await setup({ maxBufferedPublishes: 2, publishTimeoutMs: 2000 });
    p.refuse(true);
    p.cut();
    await waitFor(() => t.state.status === "reconnecting", 5000, "the disconnect");
    const waiting = [t.publish(topic, { payload: bytes("1") }), t.publish(topic, { payload: bytes("2") })];
    await new Promise((r) => setTimeout(r, 50));
    await expect(t.publish(topic, { payload: bytes("3") })).rejects.toMatchObject({
      code: "connection-closed",
    });
    await expect(Promise.allSettled(waiting)).resolves.toHaveLength(2);
  });

  it("never has more than maxUnconfirmed messages in flight", async () => {
    const { t, topic } = await setup({ maxUnconfirmed: 5 });
    let max = 0;
    const publisher = (t as unknown as { publisher: { inflight: number } }).publisher;
    const all = Array.from({ length: 300 }, (_, i) =>
      t
        .publish(topic, { payload: bytes(String(i)) })
        .finally(() => (max = Math.max(max, publisher.inflight))),
    );
    await Promise.all(all);
    expect(max).toBeLessThanOrEqual(5);
    expect(t.publisherStats.confirmed).toBe(300);
  });

  it("gives a freed slot to a publish still waiting, not to one that already timed out", async () => {
    const { t, p, topic } = await setup({ maxUnconfirmed: 1 });
    await t.publish(topic, { payload: bytes("warm") });
    p.slow(400); // each confirm now takes about 800 ms
    const first = t.publish(topic, { payload: bytes("in flight") }, { timeoutMs: 8000 });
    const gaveUp = t.publish(topic, { payload: bytes("gives up") }, { timeoutMs: 200 });
    const patient = t.publish(topic, { payload: bytes("patient") }, { timeoutMs: 8000 });
    await expect(gaveUp).rejects.toMatchObject({ code: "publish-timeout" });
    await expect(first).resolves.toBeDefined();
    // The slot `first` frees must reach `patient` (not the publish that gave up): it is then sent at
    // once and confirmed in about 800 ms, well before its own deadline.
    await expect(patient).resolves.toBeDefined();
  });
});

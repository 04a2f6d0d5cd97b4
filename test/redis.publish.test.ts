/** Publisher limits through the fault proxy in front of the shared Redis (the proxy, not Redis, is faulty). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { FaultProxy } from "../src/testing/mod.js";
import { bytes, REDIS_URL, transportFactory, until } from "./redis-helpers.js";

let proxy: FaultProxy;
const f = transportFactory();

beforeAll(async () => {
  proxy = new FaultProxy({ targetPort: Number(new URL(REDIS_URL).port || 6379) });
  await proxy.start();
});
afterAll(async () => {
  await f.cleanup();
  await proxy.stop();
});

describe("publisher over a black-holed connection", () => {
  it("bounds commands in flight, times out, and never sends a publish that timed out waiting for a slot", async () => {
    const t = f.create({ url: `redis://127.0.0.1:${proxy.port}`, maxInFlight: 1 });
    await t.connect();
    proxy.stall();
    const first = t.publish("bh", { id: "on-the-wire", payload: bytes("a") }, { timeoutMs: 300 });
    const second = t.publish("bh", { id: "never-sent", payload: bytes("b") }, { timeoutMs: 300 });
    await expect(first).rejects.toMatchObject({ code: "publish-timeout" });
    await expect(second).rejects.toMatchObject({ code: "publish-timeout" });
    // Heal: the connection is cut, ioredis reconnects and re-sends what was on the wire.
    proxy.unstall();
    proxy.cut();
    await expect(t.publish("bh", { id: "after", payload: bytes("c") })).resolves.toMatchObject({
      id: "after",
    });
    const r = new Redis(REDIS_URL);
    const ids = async (): Promise<string[]> =>
      (await r.xrange(t.names.stream("bh"), "-", "+")).map(
        ([, fields]) => (JSON.parse(fields[fields.indexOf("m") + 1]!) as { id: string }).id,
      );
    await until(async () => (await ids()).includes("after"), "the publish after healing");
    expect(await ids()).not.toContain("never-sent");
    r.disconnect();
  });

  it("rejects at once beyond maxQueuedPublishes instead of piling up", async () => {
    const t = f.create({ url: `redis://127.0.0.1:${proxy.port}`, maxInFlight: 1, maxQueuedPublishes: 1 });
    await t.publish("q", { payload: bytes("warm-up") });
    proxy.stall();
    const inFlight = t.publish("q", { payload: bytes("a") }, { timeoutMs: 300 });
    const queued = t.publish("q", { payload: bytes("b") }, { timeoutMs: 300 });
    await expect(t.publish("q", { payload: bytes("c") }, { timeoutMs: 300 })).rejects.toMatchObject({
      code: "publish-rejected",
    });
    await expect(inFlight).rejects.toMatchObject({ code: "publish-timeout" });
    await expect(queued).rejects.toMatchObject({ code: "publish-timeout" });
    proxy.unstall();
    proxy.cut();
  });
});

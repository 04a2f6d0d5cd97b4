/**
 * Publishing before the first connection: the bounds (maxInFlight + maxQueuedPublishes) and the publish
 * timeout hold from the first call, and what is parked is sent once connected or rejected as not sent.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { MqaError } from "../../core/errors.js";
import { freePort } from "../../testing/mod.js";
import { bytes, REDIS_URL, transportFactory } from "../../../test/redis-helpers.js";
import { createRedisTransport } from "./mod.js";

const f = transportFactory();
afterAll(() => f.cleanup());

type Outcome = { code: string; sent: unknown } | "stored";

/** Publish `n` messages and record how each ended, as it ends. */
function burst(
  publish: (i: number) => Promise<unknown>,
  n: number,
): { outcomes: Outcome[]; all: Promise<unknown> } {
  const outcomes: Outcome[] = [];
  const all = Promise.all(
    Array.from({ length: n }, (_, i) =>
      publish(i).then(
        () => void outcomes.push("stored"),
        (err: unknown) => {
          if (!MqaError.is(err)) throw err;
          outcomes.push({ code: err.code, sent: err.details?.sent });
        },
      ),
    ),
  );
  return { outcomes, all };
}

const count = (outcomes: Outcome[], code: string): number =>
  outcomes.filter((o) => o !== "stored" && o.code === code && o.sent === false).length;

describe("redis publish before the first connection", () => {
  it("holds at most maxInFlight + maxQueuedPublishes while Redis is unreachable, rejecting the rest at once", async () => {
    const port = await freePort(); // nothing listens there
    const t = createRedisTransport({
      url: `redis://127.0.0.1:${port}`,
      maxInFlight: 4,
      maxQueuedPublishes: 6,
      publishTimeoutMs: 2_000,
      initialConnectTimeoutMs: 60_000,
      reconnect: { baseMs: 50, maxMs: 200, multiplier: 2 },
    });
    const payload = new Uint8Array(8 * 1024);
    const { outcomes, all } = burst((i) => t.publish("unreachable", { id: `m${i}`, payload }), 1_000);
    // One turn of the event loop, no timer: what is beyond the bounds was rejected synchronously.
    await new Promise((r) => setImmediate(r));
    expect(outcomes.length).toBe(990);
    expect(count(outcomes, "connection-closed")).toBe(990);
    // The ten held ones end at their publish timeout, as not sent.
    await all;
    expect(outcomes.length).toBe(1_000);
    expect(count(outcomes, "connection-closed")).toBe(1_000);
    // Expired, they hold nothing any more: the next ten are held again, not rejected at once.
    const again = burst((i) => t.publish("unreachable", { id: `a${i}`, payload }), 11);
    await new Promise((r) => setImmediate(r));
    expect(again.outcomes.length).toBe(1);
    await again.all;
    expect(count(again.outcomes, "connection-closed")).toBe(11);
    await t.close({ timeoutMs: 100 });
  });

  it("sends what was published before connecting once connected", async () => {
    const t = f.create();
    const early = burst((i) => t.publish("early", { id: `e${i}`, payload: bytes(`e${i}`) }), 20);
    await early.all;
    expect(early.outcomes).toEqual(Array(20).fill("stored"));
    const r = new Redis(REDIS_URL);
    try {
      expect(await r.xlen(t.names.stream("early"))).toBe(20);
    } finally {
      r.disconnect();
    }
  });

  it("rejects what is parked as closed and not sent when the transport closes before connecting", async () => {
    const port = await freePort();
    const t = createRedisTransport({ url: `redis://127.0.0.1:${port}`, initialConnectTimeoutMs: 60_000 });
    const { outcomes, all } = burst((i) => t.publish("never", { id: `n${i}`, payload: bytes("x") }), 5);
    await t.close({ timeoutMs: 100 });
    await all;
    expect(count(outcomes, "closed")).toBe(5);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { freePort } from "../../testing/mod.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";

const open: AmqpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 500 })));
});

/** A transport pointed at a port nobody listens on, which would keep trying to connect for a minute. */
async function unreachable(extra: Parameters<typeof createAmqpTransport>[0] = {}): Promise<AmqpTransport> {
  const t = createAmqpTransport({
    url: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
    initialConnectTimeoutMs: 60_000,
    reconnect: { baseMs: 50, maxMs: 200 },
    ...extra,
  });
  open.push(t);
  return t;
}

/** The codes publishes rejected with, in call order (`ok` for a publish that resolved). */
async function outcomes(publishes: Promise<unknown>[]): Promise<string[]> {
  const settled = await Promise.allSettled(publishes);
  return settled.map((s) =>
    s.status === "fulfilled" ? "ok" : MqaError.is(s.reason) ? s.reason.code : String(s.reason),
  );
}

describe("publishes before the first connection", () => {
  it("are bounded by maxBufferedPublishes and rejected after publishTimeoutMs, not held until connect gives up", async () => {
    const t = await unreachable({ maxBufferedPublishes: 5, publishTimeoutMs: 300 });
    const payload = new Uint8Array(8 * 1024);
    const publishes = Array.from({ length: 12 }, () => t.publish("f1-unreachable", { payload }));
    // The 7 past the bound were refused at once: before any of the waiting ones could time out.
    expect(t.firstConnectionStats).toEqual({ refusedFull: 7, timedOut: 0 });
    const codes = await outcomes(publishes);
    expect(codes.slice(0, 5)).toEqual(Array(5).fill("publish-timeout"));
    expect(codes.slice(5)).toEqual(Array(7).fill("connection-closed"));
    expect(t.firstConnectionStats).toEqual({ refusedFull: 7, timedOut: 5 });
  });

  it("a per-publish timeoutMs holds too", async () => {
    const t = await unreachable({ publishTimeoutMs: 60_000 });
    const err = await t.publish("f1-unreachable", { payload: new Uint8Array([1]) }, { timeoutMs: 200 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "publish-timeout")).toBe(true);
    expect((err as MqaError).message).toMatch(/not connected to RabbitMQ yet.*never sent/);
  });

  it("a message over maxMessageBytes is refused at once, without waiting for a connection", async () => {
    const t = await unreachable({ maxMessageBytes: 1000 });
    const err = await t.publish("f1-unreachable", { payload: new Uint8Array(1001) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "message-too-large")).toBe(true);
    expect(t.firstConnectionStats).toEqual({ refusedFull: 0, timedOut: 0 });
  });
});

/**
 * Redis-specific fault tests against a Redis these tests start themselves (own port, AOF with
 * `appendfsync always`), with clients going through the TCP fault proxy: a real SIGKILLed consumer
 * process, trimming under load, a lost read reply, an unreachable server at start-up. Connection cuts, a
 * restart, a killed consumer and a crash-looping poison entry are the shared fault suite's
 * (test/redis.fault-suite.test.ts, src/testing/faults/).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { FaultProxy, RedisServerProcess } from "../src/testing/mod.js";
import {
  createRedisTransport,
  type RedisTransport,
  type RedisTransportOptions,
} from "../src/transports/redis/mod.js";
import { bytes, uniquePrefix, until } from "./redis-helpers.js";

let server: RedisServerProcess;
let proxy: FaultProxy;
const made: RedisTransport[] = [];

/** A transport on the private server; `direct` skips the fault proxy. */
function transport(extra: RedisTransportOptions = {}, direct = false): RedisTransport {
  const t = createRedisTransport({
    url: direct ? server.url : `redis://127.0.0.1:${proxy.port}`,
    keyPrefix: uniquePrefix(),
    claimIdleMs: 500,
    blockMs: 200,
    reconnect: { baseMs: 50, maxMs: 500, multiplier: 2 },
    ...extra,
  });
  made.push(t);
  return t;
}

beforeAll(async () => {
  server = await RedisServerProcess.start();
  proxy = new FaultProxy({ targetPort: server.port });
  await proxy.start();
});

afterAll(async () => {
  await Promise.all(made.map((t) => t.abort()));
  await proxy?.stop();
  await server?.dispose();
});

describe("redis fault tests", () => {
  it("(a) a consumer process killed with SIGKILL mid-batch: its entries are reclaimed by another consumer", async () => {
    const fixture = new URL("./fixtures/redis-consumer.mjs", import.meta.url).pathname;
    if (!existsSync(new URL("../dist/transports/redis/mod.js", import.meta.url))) {
      throw new Error("dist/ is missing: run `npm run build` first (npm test does it via pretest)");
    }
    const keyPrefix = uniquePrefix();
    const pub = transport({ keyPrefix });
    await pub.declare({ topic: "jobs", group: "g" });
    for (let i = 0; i < 20; i++) await pub.publish("jobs", { id: `j${i}`, payload: bytes(String(i)) });

    const child = spawn(
      process.execPath,
      [fixture, `redis://127.0.0.1:${proxy.port}`, keyPrefix, "jobs", "g", "8"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const held = new Set<string>();
    child.stdout.on("data", (b: Buffer) => {
      for (const line of b.toString().split("\n")) if (line.startsWith("held ")) held.add(line.slice(5));
    });
    await until(() => held.size === 8, "the child to hold a batch of 8");
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;

    const got = new Map<string, number>();
    const survivor = transport({ keyPrefix });
    await survivor.subscribe(
      "jobs",
      "g",
      async (d) => {
        got.set(d.message.id, d.message.attempt);
        await d.ack();
      },
      { prefetch: 4 },
    );
    await until(() => got.size === 20, "all 20 jobs processed by the survivor", 15_000);
    for (const id of held) expect(got.get(id)).toBeGreaterThanOrEqual(2); // redelivered, counted
    expect(survivor.stats.reclaimed).toBeGreaterThanOrEqual(8);
  });

  it("(e) trimming under load never drops an entry still pending or unread by a group", async () => {
    const keyPrefix = uniquePrefix();
    const topics = { busy: { trim: { maxLen: 50 } } };
    const t = transport({ keyPrefix, topics });
    await t.declare({ topic: "busy", group: "fast" });
    await t.declare({ topic: "busy", group: "laggard" }); // declared, not reading yet
    const fast = new Set<string>();
    // Slow consumer holding up to 30 entries at a time.
    await t.subscribe(
      "busy",
      "fast",
      async (d) => {
        await new Promise((r) => setTimeout(r, 5));
        fast.add(d.message.id);
        await d.ack();
      },
      { prefetch: 30 },
    );
    const n = 3_000;
    let trimmedWhileLoaded = 0;
    for (let i = 0; i < n; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => t.publish("busy", { id: `e${i + j}`, payload: bytes("y") })),
      );
      trimmedWhileLoaded += await t.trim("busy");
    }
    await until(() => fast.size === n, "the fast group to get everything", 30_000);
    expect(trimmedWhileLoaded).toBe(0); // the laggard has read nothing, so nothing may go
    const laggard = new Set<string>();
    await t.subscribe(
      "busy",
      "laggard",
      async (d) => {
        laggard.add(d.message.id);
        await d.ack();
      },
      { prefetch: 100 },
    );
    await until(() => laggard.size === n, "the laggard to get everything", 30_000);
    expect(t.stats.deletedWhilePending).toBe(0);
    // Once every group has acknowledged everything, trimming bounds the stream.
    const trimmed = await t.trim("busy");
    expect(trimmed).toBeGreaterThan(0);
    const r = new Redis(server.url);
    expect(await r.xlen(t.names.stream("busy"))).toBeLessThan(n / 2);
    r.disconnect();
  });

  it("a read reply lost with its connection: the consumer re-reads its own pending entries (ID 0)", async () => {
    const keyPrefix = uniquePrefix();
    // Reclaiming is pushed far out, so only the consumer's re-read of its own pending entries (ID 0)
    // can recover entries whose XREADGROUP reply died with the connection.
    const consumer = transport({ keyPrefix, claimIdleMs: 600_000, blockMs: 5_000 });
    const pub = transport({ keyPrefix }, true);
    const got = new Set<string>();
    await consumer.subscribe("lostreply", "g", async (d) => {
      got.add(d.message.id);
      await d.ack();
    });
    const r = new Redis(server.url);
    const stream = consumer.names.stream("lostreply");
    for (let round = 0; round < 3; round++) {
      await new Promise((res) => setTimeout(res, 100)); // the consumer is blocked in XREADGROUP
      proxy.stall(); // the server's reply will be swallowed
      const ids = Array.from({ length: 5 }, (_, j) => `r${round}-${j}`);
      for (const id of ids) await pub.publish("lostreply", { id, payload: bytes("z") });
      await until(
        async () => ((await r.xpending(stream, "g"))[0] as number) > 0,
        "the entries to be delivered into the void",
      );
      proxy.cut();
      proxy.unstall();
      await until(() => ids.every((id) => got.has(id)), `round ${round}: the lost entries re-read`, 10_000);
    }
    await until(async () => (await r.xpending(stream, "g"))[0] === 0, "an empty PEL", 10_000);
    r.disconnect();
  });

  it("a server unreachable at start-up costs retries, not errors; a publish waits within its own timeout", async () => {
    proxy.refuse(true);
    try {
      const early = transport({ initialConnectTimeoutMs: 10_000 });
      // Before the connection exists, a publish's own timeout bounds its wait, and it says nothing was sent.
      await expect(early.publish("boot", { payload: bytes("x") }, { timeoutMs: 300 })).rejects.toMatchObject({
        code: "connection-closed",
        message: expect.stringMatching(/was not sent/) as unknown,
      });
      const connecting = early.connect();
      let settled = false;
      void connecting.finally(() => (settled = true)).catch(() => undefined);
      await new Promise((res) => setTimeout(res, 500)); // a few refused attempts
      expect(settled).toBe(false);
      proxy.refuse(false);
      await connecting; // the next retry gets through
      expect(early.state.status).toBe("ready");
      await expect(early.publish("boot", { payload: bytes("y") })).resolves.toMatchObject({});

      // Past initialConnectTimeoutMs, connect() gives up with the last error and the masked URL.
      proxy.refuse(true);
      const late = transport({ initialConnectTimeoutMs: 400 });
      await expect(late.connect()).rejects.toMatchObject({
        code: "connection-closed",
        message: expect.stringMatching(/within 400 ms/) as unknown,
      });
      expect(late.state.status).toBe("idle");
    } finally {
      proxy.refuse(false);
    }
  });
});

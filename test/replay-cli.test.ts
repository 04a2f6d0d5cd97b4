/**
 * `mqa replay` (the built CLI) on the real brokers: one round trip each with --json (JSON, text and binary
 * payloads, positions), a named checkpoint resumed by a second run, a range by time, and the errors a user
 * meets first (a RabbitMQ topic without history, a bad --from). Each test uses names of its own and removes
 * what it made.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import amqplib from "amqplib";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { defineTopology } from "../src/spec/define.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { REDIS_URL, deleteKeys, uniquePrefix } from "./redis-helpers.js";
import { AMQP_URL } from "./support/amqp.js";
import { mqa } from "./support/cli.js";

const redis = new Redis(REDIS_URL);
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});
afterAll(() => redis.disconnect());

const text = new TextEncoder();
const BINARY = new Uint8Array([0xff, 0x00, 0xfe]);

interface Line {
  id: string;
  position: string;
  timestamp: string;
  headers: Record<string, string>;
  payloadEncoding: string;
  payload: unknown;
}
const parse = (stdout: string): Line[] =>
  stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Line);

describe("mqa replay", () => {
  it("Redis: prints every message as JSON with its entry id, and resumes a named checkpoint", async () => {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const dir = await mkdtemp(join(tmpdir(), "mqa-replay-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const specFile = join(dir, "spec.json");
    await writeFile(
      specFile,
      JSON.stringify({ version: 1, redis: { keyPrefix: prefix, streams: [{ name: "orders" }] } }),
    );
    const t = createRedisTransport({ url: REDIS_URL, keyPrefix: prefix });
    cleanups.push(() => t.close({ timeoutMs: 1000 }));
    await t.publish("orders", { id: "j", payload: text.encode('{"n":1}'), contentType: "application/json" });
    await t.publish("orders", { id: "t", payload: text.encode("plain"), contentType: "text/plain" });
    await t.publish("orders", { id: "b", payload: BINARY, contentType: "application/octet-stream" });
    const entries = await redis.xrange(`${prefix}:{orders}`, "-", "+");

    const all = await mqa("replay", "orders", "--broker", REDIS_URL, "--spec", specFile, "--json");
    expect(all.stderr).toContain(`XRANGE (no consumer group) on ${prefix}:{orders}`);
    expect(all.code).toBe(0);
    const lines = parse(all.stdout);
    expect(lines.map((l) => [l.id, l.position])).toEqual([
      ["j", entries[0]![0]],
      ["t", entries[1]![0]],
      ["b", entries[2]![0]],
    ]);
    expect(lines.map((l) => [l.payloadEncoding, l.payload])).toEqual([
      ["json", { n: 1 }],
      ["utf8", "plain"],
      ["base64", Buffer.from(BINARY).toString("base64")],
    ]);

    const flags = [
      "--broker",
      REDIS_URL,
      "--spec",
      specFile,
      "--json",
      "--checkpoint",
      "cli",
      "--checkpoint-store",
      "redis",
    ];
    const first = await mqa("replay", "orders", ...flags, "--limit", "2");
    expect(parse(first.stdout).map((l) => l.id)).toEqual(["j", "t"]);
    expect(first.stderr).toContain(`checkpoint cli at ${entries[1]![0]}`);
    const second = await mqa("replay", "orders", ...flags);
    expect(second.stderr).toContain(`after checkpoint ${entries[1]![0]}`);
    expect(parse(second.stdout).map((l) => l.id)).toEqual(["b"]);
    expect(await redis.hget(`${prefix}:replay:checkpoints`, "cli")).toBe(entries[2]![0]);
  });

  it("RabbitMQ: replays a topic's history stream from a time, as JSON with stream offsets", async () => {
    const topic = `replay-cli-${Math.random().toString(36).slice(2, 10)}`;
    const spec = defineTopology({
      version: 1,
      rabbitmq: {
        vhosts: [{ name: "/" }],
        topics: [{ name: topic, history: { maxAge: "1h", maxBytes: 10_000_000 }, groups: [{ name: "g" }] }],
      },
    });
    const t = createAmqpTransport({ url: AMQP_URL, topology: spec });
    cleanups.push(async () => {
      const c = await amqplib.connect(AMQP_URL);
      const ch = await c.createChannel();
      for (const q of [`${topic}.g`, `${topic}.g.dlq`, `${topic}.history`]) await ch.deleteQueue(q);
      await ch.deleteExchange(topic);
      await c.close();
    });
    cleanups.push(() => t.close({ timeoutMs: 2000 }));
    await t.declare({ topic, group: "g" });
    await t.publish(topic, { id: "early", payload: text.encode("early") });
    const stamp = Date.now();
    while (Date.now() <= stamp) await delay(1);
    const from = new Date().toISOString();
    await t.publish(topic, {
      id: "j",
      payload: text.encode('{"n":2}'),
      contentType: "application/json",
      headers: { who: "test" },
    });
    await t.publish(topic, { id: "b", payload: BINARY });

    const run = await mqa("replay", topic, "--broker", AMQP_URL, "--from", from, "--json");
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`stream queue ${topic}.history`);
    const lines = parse(run.stdout);
    expect(lines.map((l) => [l.id, l.position])).toEqual([
      ["j", "1"],
      ["b", "2"],
    ]);
    expect(lines[0]!.payload).toEqual({ n: 2 });
    expect(lines[0]!.headers["who"]).toBe("test");
    expect(lines[1]!.payload).toBe(Buffer.from(BINARY).toString("base64"));
  });

  it("says how to keep a history for a RabbitMQ topic without one, and what --from takes", async () => {
    const topic = `replay-cli-none-${Math.random().toString(36).slice(2, 10)}`;
    const none = await mqa("replay", topic, "--broker", AMQP_URL);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`topic "${topic}" keeps no history`);
    expect(none.stderr).toContain("history: { maxAge: 7d }");
    expect(none.stderr).toContain("[not-found]");
    const bad = await mqa("replay", topic, "--broker", AMQP_URL, "--from", "last tuesday");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from "last tuesday" is not start, an offset');
    const lonely = await mqa("replay", topic, "--broker", REDIS_URL, "--checkpoint", "x");
    expect(lonely.code).toBe(2);
    expect(lonely.stderr).toContain("--checkpoint and --checkpoint-store go together");
  });
});

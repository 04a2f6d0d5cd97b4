/**
 * A replay reader killed with SIGKILL (a child process, the built package: test/fixtures/replay-reader.mjs)
 * and started again resumes after its checkpoint: together the two runs hand over every message in order
 * with no gap, and the restarted run repeats only what the killed one had handed over after its last saved
 * checkpoint — at most one batch. On both brokers, with both checkpoint stores.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import amqplib from "amqplib";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  PostgresCheckpointStore,
  RedisCheckpointStore,
  openReplay,
  type CheckpointStore,
} from "../src/replay/mod.js";
import { defineTopology } from "../src/spec/define.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { REDIS_URL, deleteKeys, uniquePrefix } from "./redis-helpers.js";
import { AMQP_URL } from "./support/amqp.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const N = 200;
const BATCH = 10;
const fixture = new URL("./fixtures/replay-reader.mjs", import.meta.url).pathname;
const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const redis = new Redis(REDIS_URL);
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});
afterAll(async () => {
  await pool.end();
  redis.disconnect();
});

const ids = Array.from({ length: N }, (_, i) => `msg-${String(i).padStart(4, "0")}`);
const text = new TextEncoder();

interface Line {
  ids: string[];
  cursor: string;
}

/** Run the reader; kill it with SIGKILL once it printed `killAfter` batches (never, if undefined). */
function runReader(args: string[], killAfter?: number): Promise<{ lines: Line[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const lines: Line[] = [];
    let buffered = "";
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.stdout.on("data", (b: Buffer) => {
      buffered += b.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === "done") continue;
        lines.push(JSON.parse(line) as Line);
        if (killAfter !== undefined && lines.length === killAfter) child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") return resolve({ lines, killed: true });
      if (code !== 0) return reject(new Error(`replay reader exited with ${code}: ${stderr}`));
      resolve({ lines, killed: false });
    });
  });
}

interface Case {
  broker: "redis" | "amqp";
  store: "redis" | "postgres";
}

/** The topic with N messages on `broker`; returns the reader's broker arguments. */
async function prepare(c: Case): Promise<{ url: string; topic: string; where: string }> {
  const topic = `replay-crash-${randomBytes(4).toString("hex")}`;
  if (c.broker === "redis") {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const t = createRedisTransport({ url: REDIS_URL, keyPrefix: prefix });
    try {
      await t.declare({ topic, group: "g" });
      for (const id of ids) await t.publish(topic, { id, payload: text.encode(id) });
    } finally {
      await t.close({ timeoutMs: 2000 });
    }
    return { url: REDIS_URL, topic, where: prefix };
  }
  const spec = defineTopology({
    version: 1,
    rabbitmq: {
      vhosts: [{ name: "/" }],
      topics: [{ name: topic, history: { maxAge: "1h" }, groups: [{ name: "g" }] }],
    },
  });
  cleanups.push(async () => {
    const conn = await amqplib.connect(AMQP_URL);
    const ch = await conn.createChannel();
    for (const q of [`${topic}.g`, `${topic}.g.dlq`, `${topic}.history`]) await ch.deleteQueue(q);
    await ch.deleteExchange(topic);
    await conn.close();
  });
  const t = createAmqpTransport({ url: AMQP_URL, topology: spec });
  try {
    await t.declare({ topic, group: "g" });
    for (let i = 0; i < N; i += 50)
      await Promise.all(ids.slice(i, i + 50).map((id) => t.publish(topic, { id, payload: text.encode(id) })));
  } finally {
    await t.close({ timeoutMs: 2000 });
  }
  return { url: AMQP_URL, topic, where: "" };
}

const cases: Case[] = [
  { broker: "redis", store: "redis" },
  { broker: "redis", store: "postgres" },
  { broker: "amqp", store: "postgres" },
  { broker: "amqp", store: "redis" },
];

describe("a killed replay reader resumes from its checkpoint", () => {
  it.each(cases)(
    "$broker topic, $store checkpoint",
    async (c) => {
      const { url, topic, where } = await prepare(c);
      // Published in batches of 50 on RabbitMQ: the stream order is the order the broker took them in.
      const order = c.broker === "redis" ? ids : await streamOrder(url, topic);
      expect([...order].sort()).toEqual(ids);
      let store: CheckpointStore;
      let storeUrl: string;
      let storeWhere: string;
      if (c.store === "redis") {
        storeWhere = uniquePrefix();
        storeUrl = REDIS_URL;
        store = new RedisCheckpointStore({ redis, keyPrefix: storeWhere });
        cleanups.push(() => redis.del(`${storeWhere}:replay:checkpoints`));
      } else {
        storeWhere = `replay_crash_${randomBytes(4).toString("hex")}`;
        storeUrl = PG_URL;
        store = new PostgresCheckpointStore({ db: pool, table: storeWhere });
        cleanups.push(() => pool.query(`DROP TABLE IF EXISTS ${storeWhere}`));
      }
      const fixtureArgs = [
        url,
        topic,
        c.store,
        storeUrl,
        "crash-reader",
        storeWhere,
        ...(where ? [where] : []),
      ];

      const first = await runReader(fixtureArgs, 7);
      expect(first.killed).toBe(true);
      const saved = await store.load("crash-reader");
      expect(saved).toBeDefined();
      const savedAt = first.lines.findIndex((l) => l.cursor === saved);
      expect(savedAt).toBeGreaterThanOrEqual(5); // batch 6 was handed over before batch 7 was printed
      const done = first.lines.slice(0, savedAt + 1).flatMap((l) => l.ids);
      const unsaved = first.lines.slice(savedAt + 1).flatMap((l) => l.ids);
      expect(unsaved.length).toBeLessThanOrEqual(BATCH);

      const second = await runReader(fixtureArgs);
      expect(second.killed).toBe(false);
      const again = second.lines.flatMap((l) => l.ids);
      expect([...done, ...again]).toEqual(order); // no gap, nothing out of order
      expect(again.slice(0, unsaved.length)).toEqual(unsaved); // repeats only the unsaved batch
      expect(await store.load("crash-reader")).toBe(second.lines.at(-1)!.cursor);
    },
    60_000,
  );
});

/** The ids in the stream queue's order (a replay of the whole history, in-process). */
async function streamOrder(url: string, topic: string): Promise<string[]> {
  const reader = await openReplay(url, topic, {});
  const out: string[] = [];
  for await (const b of reader) out.push(...b.messages.map((r) => r.message.id));
  await reader.close();
  return out;
}

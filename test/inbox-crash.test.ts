/**
 * Issue 15's crash test: 10,000 messages (plus 1,000 duplicates published again with the same id) consumed
 * from Redis Streams by consumer processes (the built package, test/fixtures/inbox-consumer.mjs) that
 * SIGKILL themselves now and then between the effect and the commit, and between the commit and the ack.
 * The parent keeps two of them running until every message is done, then reconciles by id: every effect
 * applied exactly once, in the PostgreSQL effect table or the Redis effect hash.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../src/testing/mod.js";
import { PostgresInbox } from "../src/inbox/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { REDIS_URL, deleteKeys, uniquePrefix } from "./redis-helpers.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const N = 10_000;
const DUPLICATES = 1_000;
const KILL_CHANCE = 0.0004;
const fixture = new URL("./fixtures/inbox-consumer.mjs", import.meta.url).pathname;
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const redis = new Redis(REDIS_URL);
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const c of children) c.kill("SIGKILL");
  children.clear();
  for (const f of cleanups.splice(0)) await f().catch(() => undefined);
});
afterAll(async () => {
  await pool.end();
  redis.disconnect();
});

const ids = Array.from({ length: N }, (_, i) => `msg-${String(i).padStart(5, "0")}`);

/** Publish every id once, and DUPLICATES of them again (a producer retrying after a lost confirm). */
async function publishAll(keyPrefix: string, topic: string): Promise<void> {
  const t = createRedisTransport({ url: REDIS_URL, keyPrefix });
  try {
    await t.declare({ topic, group: "g" });
    const all = [...ids, ...ids.filter((_, i) => i % (N / DUPLICATES) === 0)];
    for (let i = 0; i < all.length; i += 500)
      await Promise.all(
        all.slice(i, i + 500).map((id) => t.publish(topic, { id, payload: new TextEncoder().encode(id) })),
      );
  } finally {
    await t.close({ timeoutMs: 2000 });
  }
}

/** Keep two consumer processes running (a killed one is replaced) until `done`; returns how many died. */
async function runConsumersUntil(args: string[], done: () => Promise<boolean>): Promise<number> {
  let kills = 0;
  let stop = false;
  const start = (): void => {
    const child = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    children.add(child);
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (signal === "SIGKILL") kills++;
      else if (!stop) process.stderr.write(`inbox consumer exited with ${code}: ${stderr}\n`);
      if (!stop) start();
    });
  };
  start();
  start();
  try {
    await waitFor(done, 80_000, "every message processed", 200);
  } finally {
    stop = true;
    for (const c of children) c.kill("SIGKILL");
  }
  return kills;
}

describe("inbox under SIGKILL, 10,000 messages with duplicates", () => {
  it("PostgreSQL: every effect exactly once", { timeout: 120_000 }, async () => {
    const table = `mqa_inbox_crash_${randomBytes(4).toString("hex")}`;
    const keyPrefix = uniquePrefix();
    cleanups.push(
      () => pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_effects`),
      () => deleteKeys(keyPrefix),
    );
    await new PostgresInbox({ pool, table }).ensureTable();
    await pool.query(`CREATE TABLE ${table}_effects (message_id text NOT NULL, pid integer NOT NULL)`);
    await publishAll(keyPrefix, "work");
    const kills = await runConsumersUntil(
      ["pg", PG_URL, REDIS_URL, keyPrefix, table, "work", String(KILL_CHANCE)],
      async () => Number((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n) >= N,
    );
    const rows = (
      await pool.query(
        `SELECT message_id, count(*)::int AS n, count(DISTINCT pid)::int AS pids FROM ${table}_effects GROUP BY message_id`,
      )
    ).rows as { message_id: string; n: number }[];
    const counts = new Map(rows.map((r) => [r.message_id, r.n]));
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]); // none missing, none doubled
    expect(counts.size).toBe(N); // nothing else
    expect(kills).toBeGreaterThan(0); // the crashes happened
    process.stderr.write(`inbox crash test (PostgreSQL): ${kills} consumer processes killed\n`);
  });

  it("Redis: every effect exactly once", { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix();
    const keyPrefix = uniquePrefix();
    cleanups.push(
      () => deleteKeys(prefix),
      () => deleteKeys(keyPrefix),
    );
    await publishAll(keyPrefix, "work");
    const kills = await runConsumersUntil(
      ["redis", PG_URL, REDIS_URL, keyPrefix, prefix, "work", String(KILL_CHANCE)],
      async () => (await redis.hlen(`${prefix}:effects`)) >= N,
    );
    const effects = await redis.hgetall(`${prefix}:effects`);
    expect(ids.filter((id) => effects[id] !== "1")).toEqual([]);
    expect(Object.keys(effects).length).toBe(N);
    expect(kills).toBeGreaterThan(0);
    process.stderr.write(`inbox crash test (Redis): ${kills} consumer processes killed\n`);
  });
});

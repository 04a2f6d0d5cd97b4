/**
 * Issue 15: the inbox on the real PostgreSQL and Redis. Effects are counted in an effect table (PG) or hash
 * (Redis) of the test's own; every table and key is removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MessageContext, Middleware } from "../src/core/context.js";
import { Router } from "../src/core/router.js";
import type { Transport } from "../src/core/transport.js";
import { PostgresInbox, RedisInbox } from "../src/inbox/mod.js";
import { deadLetter } from "../src/middleware/dead-letter.js";
import { retry } from "../src/middleware/retry.js";
import { enqueue, ensureOutboxTable } from "../src/outbox/outbox.js";
import { waitFor } from "../src/testing/mod.js";
import { memoryTransport } from "./support/memory.js";
import { REDIS_URL, deleteKeys, transportFactory, uniquePrefix } from "./redis-helpers.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
const redis = new Redis(REDIS_URL);
let table: string;
let prefix: string;
let brokers: ReturnType<typeof transportFactory>;
const routers: Router[] = [];

beforeEach(() => {
  table = `mqa_inbox_${randomBytes(4).toString("hex")}`;
  prefix = uniquePrefix();
  brokers = transportFactory();
});
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.stop({ timeoutMs: 2000 })));
  await brokers.cleanup();
  await pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_effects, ${table}_outbox`);
  await deleteKeys(prefix);
});
afterAll(async () => {
  await pool.end();
  redis.disconnect();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const effectCount = async (): Promise<number> =>
  Number((await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`)).rows[0].n);

/** A promise and its resolver. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = (): void => undefined;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/**
 * Two consumers (two transports on one Redis) receive the same message id at once. The first to reach the
 * handler holds it until the second copy has entered the inbox; each store must let only one apply it.
 */
async function twoConsumersOneMessage(
  middleware: Middleware,
  handler: (ctx: MessageContext<unknown>) => Promise<void>,
  opts: { failFirst?: boolean } = {},
): Promise<{ handled: number; duplicates: () => number; arrivals: () => number }> {
  const topic = "orders";
  let arrivals = 0;
  let handled = 0;
  const both = gate();
  const countArrivals: Middleware = (next) => async (ctx) => {
    if (++arrivals === 2) both.open();
    await next(ctx);
  };
  const [a, b] = [brokers.create(), brokers.create()];
  await a.declare({ topic, group: "billing" });
  for (const t of [a, b] as Transport[]) {
    const router = new Router(t, {
      middleware: [deadLetter(), retry({ attempts: 5, baseMs: 10, maxMs: 20 })],
    });
    router.handle({
      topic,
      group: "billing",
      prefetch: 1,
      middleware: [countArrivals, middleware],
      handler: async (_p, ctx) => {
        handled++;
        const first = handled === 1;
        if (first) await both.opened; // the second copy is now inside the inbox, waiting on this one
        await handler(ctx as MessageContext<unknown>);
        if (first && opts.failFirst) throw new Error("first copy fails after its write");
      },
    });
    routers.push(router);
  }
  for (const r of routers) await r.start();
  await a.publish(topic, { id: "m-1", payload: bytes("{}"), contentType: "application/json" });
  await a.publish(topic, { id: "m-1", payload: bytes("{}"), contentType: "application/json" });
  return { handled, duplicates: () => arrivals - handled, arrivals: () => arrivals };
}

describe("PostgresInbox", () => {
  it("applies a message delivered to two consumers at once exactly once", { timeout: 20_000 }, async () => {
    const inbox = new PostgresInbox({ pool, table });
    await inbox.ensureTable();
    await pool.query(`CREATE TABLE ${table}_effects (message_id text NOT NULL)`);
    let duplicates = 0;
    await twoConsumersOneMessage(inbox.middleware({ onDuplicate: () => duplicates++ }), async (ctx) => {
      await inbox.db(ctx).query(`INSERT INTO ${table}_effects VALUES ($1)`, [ctx.message.id]);
    });
    await waitFor(() => duplicates === 1, 10_000, "the second copy acked as a duplicate");
    expect(await effectCount()).toBe(1);
    const rows = (
      await pool.query(`SELECT message_key, group_name, message_id, expires_at > now() AS live FROM ${table}`)
    ).rows;
    expect(rows).toEqual([
      { message_key: "billing:m-1", group_name: "billing", message_id: "m-1", live: true },
    ]);
  });

  it(
    "lets the waiting copy run when the first one rolls back: one effect, none lost",
    { timeout: 20_000 },
    async () => {
      const inbox = new PostgresInbox({ pool, table });
      await inbox.ensureTable();
      await pool.query(`CREATE TABLE ${table}_effects (message_id text NOT NULL)`);
      let duplicates = 0;
      let writes = 0;
      await twoConsumersOneMessage(
        inbox.middleware({ onDuplicate: () => duplicates++ }),
        async (ctx) => {
          writes++;
          await inbox.db(ctx).query(`INSERT INTO ${table}_effects VALUES ($1)`, [ctx.message.id]);
        },
        { failFirst: true },
      );
      // The first copy's write is rolled back; the second copy runs; the first's retry then is a duplicate.
      await waitFor(() => duplicates === 1, 10_000, "the retried first copy acked as a duplicate");
      expect(writes).toBe(2);
      expect(await effectCount()).toBe(1);
    },
  );

  it("commits the handler's writes and its outbox message with the mark, or none of them", async () => {
    const inbox = new PostgresInbox({ pool, table });
    await inbox.ensureTable();
    await ensureOutboxTable(pool, `${table}_outbox`);
    await pool.query(`CREATE TABLE ${table}_effects (message_id text NOT NULL)`);
    const transport = await memoryTransport();
    const router = new Router(transport, {
      middleware: [deadLetter(), retry({ attempts: 2, baseMs: 1, maxMs: 1 })],
    });
    let calls = 0;
    router.handle({
      topic: "orders",
      group: "billing",
      prefetch: 1,
      middleware: [inbox.middleware()],
      handler: async (_p, ctx) => {
        calls++;
        const db = inbox.db(ctx);
        await db.query(`INSERT INTO ${table}_effects VALUES ($1)`, [ctx.message.id]);
        await enqueue(
          db,
          "invoices",
          { id: `inv-${ctx.message.id}`, payload: bytes("{}") },
          { table: `${table}_outbox` },
        );
        if (ctx.message.attempt === 1) throw new Error("crash after the writes");
      },
    });
    routers.push(router);
    await router.start();
    await transport.publish("orders", { id: "o-1", payload: bytes("{}"), contentType: "application/json" });
    await waitFor(() => calls === 2, 5000, "the retry");
    await waitFor(async () => (await pool.query(`SELECT 1 FROM ${table}`)).rowCount === 1, 5000, "the mark");
    expect(await effectCount()).toBe(1);
    const outbox = (await pool.query(`SELECT message_id FROM ${table}_outbox`)).rows;
    expect(outbox).toEqual([{ message_id: "inv-o-1" }]);
    // Redelivered after the commit (a lost ack): acked, nothing written again.
    await transport.publish("orders", { id: "o-1", payload: bytes("{}"), contentType: "application/json" });
    await transport.publish("orders", {
      id: "o-2-marker",
      payload: bytes("{}"),
      contentType: "application/json",
    });
    await waitFor(
      async () => (await pool.query(`SELECT 1 FROM ${table} WHERE message_id = 'o-2-marker'`)).rowCount === 1,
      5000,
      "the marker processed (after the redelivered o-1: one consumer, in order)",
    );
    expect(calls).toBe(4); // o-1 twice (fail, retry), the marker twice; the redelivered o-1 never ran
    expect(await effectCount()).toBe(2); // o-1 once, the marker once (its first attempt rolled back)
  });

  it("refuses a handle used after its transaction ended", async () => {
    const inbox = new PostgresInbox({ pool, table });
    await inbox.ensureTable();
    let kept: { query: (t: string) => Promise<unknown> } | undefined;
    const transport = await memoryTransport();
    const router = new Router(transport);
    let handled = 0;
    router.handle({
      topic: "t",
      group: "g",
      middleware: [inbox.middleware()],
      handler: async (_p, ctx) => {
        kept = inbox.db(ctx);
        handled++;
      },
    });
    routers.push(router);
    await router.start();
    await transport.publish("t", { payload: bytes("{}"), contentType: "application/json" });
    await waitFor(() => handled === 1 && kept !== undefined);
    await waitFor(
      async () => (await pool.query(`SELECT 1 FROM ${table}`)).rowCount === 1,
      5000,
      "the commit",
    );
    await expect(kept!.query("SELECT 1")).rejects.toMatchObject({ code: "closed" });
  });

  it("deletes expired rows and takes an expired key over", async () => {
    const inbox = new PostgresInbox({ pool, table, retentionMs: 1000 });
    await inbox.ensureTable();
    await pool.query(
      `INSERT INTO ${table} (message_key, group_name, message_id, expires_at) VALUES
       ('g:old', 'g', 'old', now() - interval '1 hour'), ('g:new', 'g', 'new', now() + interval '1 hour')`,
    );
    expect(await inbox.deleteExpired()).toBe(1);
    expect((await pool.query(`SELECT message_id FROM ${table}`)).rows).toEqual([{ message_id: "new" }]);
    await pool.query(`UPDATE ${table} SET expires_at = now() - interval '1 second'`);
    const outcome = await inbox.run({ key: "g:new", group: "g", messageId: "new" }, async () => true);
    expect(outcome).toBe("processed");
  });

  it("rejects bad options with their path", () => {
    expect(() => new PostgresInbox({ pool, table: "Robert'); DROP TABLE x;--" })).toThrow(/table/);
    expect(() => new PostgresInbox({ pool, nope: 1 } as never)).toThrow(/nope/);
  });
});

describe("RedisInbox", () => {
  it("applies a message delivered to two consumers at once exactly once", { timeout: 20_000 }, async () => {
    const inbox = new RedisInbox({ redis, prefix });
    let duplicates = 0;
    await twoConsumersOneMessage(inbox.middleware({ onDuplicate: () => duplicates++ }), async (ctx) => {
      inbox.writes(ctx).call("HINCRBY", `${prefix}:effects`, ctx.message.id, 1);
    });
    await waitFor(() => duplicates === 1, 10_000, "the second copy acked as a duplicate");
    expect(await redis.hgetall(`${prefix}:effects`)).toEqual({ "m-1": "1" });
    expect(await inbox.isDone("billing:m-1")).toBe(true);
    expect(await redis.pttl(`${prefix}:done:billing:m-1`)).toBeGreaterThan(6 * 86_400_000);
  });

  it("applies nothing of a failed attempt, and drops its claim at once", { timeout: 20_000 }, async () => {
    const inbox = new RedisInbox({ redis, prefix });
    const transport = await memoryTransport();
    const router = new Router(transport, {
      middleware: [deadLetter(), retry({ attempts: 3, baseMs: 1, maxMs: 1 })],
    });
    let calls = 0;
    router.handle({
      topic: "t",
      group: "g",
      middleware: [inbox.middleware()],
      handler: async (_p, ctx) => {
        calls++;
        inbox.writes(ctx).call("HINCRBY", `${prefix}:effects`, ctx.message.id, 1);
        if (ctx.message.attempt === 1) throw new Error("fails after queuing its write");
      },
    });
    routers.push(router);
    await router.start();
    await transport.publish("t", { id: "x", payload: bytes("{}"), contentType: "application/json" });
    await waitFor(() => calls === 2, 5000, "the retry");
    await waitFor(() => inbox.isDone("g:x"), 5000, "the done marker");
    expect(await redis.hgetall(`${prefix}:effects`)).toEqual({ x: "1" });
    expect(await redis.exists(`${prefix}:claim:g:x`)).toBe(0);
  });

  it("commits nothing when its claim was taken over, and says which option to raise", async () => {
    const inbox = new RedisInbox({ redis, prefix, claimMs: 100 });
    const key = { key: "g:slow", group: "g", messageId: "slow" };
    const err = await inbox
      .run(key, async (w) => {
        w.call("HINCRBY", `${prefix}:effects`, "slow", 1);
        await redis.set(`${prefix}:claim:g:slow`, "someone-else"); // as if it expired and another copy claimed it
        return true;
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "closed", message: expect.stringMatching(/claimMs/) });
    expect(await redis.exists(`${prefix}:effects`)).toBe(0);
    expect(await inbox.isDone("g:slow")).toBe(false);
  });
});

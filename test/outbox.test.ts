/**
 * The transactional outbox against the real PostgreSQL, publishing to the real Redis and RabbitMQ through
 * mqa's transports.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Message } from "../src/core/message.js";
import { enqueue, ensureOutboxTable, OutboxRelay, type Queryable } from "../src/outbox/outbox.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { waitFor } from "../src/testing/mod.js";
import { AMQP_URL, testTopics } from "./support/amqp.js";
import { bytes, text, transportFactory } from "./redis-helpers.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
const newTopic = testTopics("outbox");
/** Each test's own outbox table (not created: a test creates it with ensureOutboxTable) and Redis prefix. */
let table: string;
let redis: ReturnType<typeof transportFactory>;

beforeEach(() => {
  table = `mqa_outbox_${randomBytes(4).toString("hex")}`;
  redis = transportFactory();
});
afterEach(async () => {
  await redis.cleanup();
  await pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_orders`);
});
afterAll(async () => {
  await pool.end();
});

/** Run `fn` in a transaction on one client; roll back instead of committing when asked. */
async function inTransaction(
  fn: (db: Queryable) => Promise<void>,
  outcome: "commit" | "rollback" = "commit",
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await fn(client);
    await client.query(outcome === "commit" ? "COMMIT" : "ROLLBACK");
  } finally {
    client.release();
  }
}

const rowsLeft = async (): Promise<{ message_id: string; attempts: number; last_error: string | null }[]> =>
  (await pool.query(`SELECT message_id, attempts, last_error FROM ${table} ORDER BY id`)).rows as {
    message_id: string;
    attempts: number;
    last_error: string | null;
  }[];

describe("transactional outbox (PostgreSQL)", () => {
  it("publishes what a transaction committed, with its id, key and headers, and nothing it rolled back", async () => {
    await ensureOutboxTable(pool, table);
    await ensureOutboxTable(pool, table); // idempotent
    const transport = redis.create();
    await transport.declare({ topic: "orders", group: "billing" });
    const got: Message[] = [];
    await transport.subscribe("orders", "billing", async (d) => {
      got.push(d.message);
      await d.ack();
    });
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table}_orders (id text PRIMARY KEY)`);
    await inTransaction(async (db) => {
      await db.query(`INSERT INTO ${table}_orders VALUES ('o1')`);
      await enqueue(
        db,
        "orders",
        { id: "m-o1", key: "customer-7", payload: bytes("placed o1"), headers: { "x-source": "checkout" } },
        { table },
      );
    });
    await inTransaction(async (db) => {
      await db.query(`INSERT INTO ${table}_orders VALUES ('o2')`);
      await enqueue(db, "orders", { id: "m-o2", payload: bytes("placed o2") }, { table });
    }, "rollback");

    const relay = new OutboxRelay({ pool, transport, table });
    expect(await relay.relayOnce()).toBe(1);
    await waitFor(() => got.length === 1, 10_000, "the relayed message");
    expect(got[0]).toMatchObject({ id: "m-o1", key: "customer-7", headers: { "x-source": "checkout" } });
    expect(text(got[0]!.payload)).toBe("placed o1");
    expect(await rowsLeft()).toEqual([]);
    expect((await pool.query(`SELECT id FROM ${table}_orders`)).rows).toEqual([{ id: "o1" }]);
    await pool.query(`DROP TABLE ${table}_orders`);
  });

  it("keeps a message whose publish fails, with the error, retries it, and holds back later ones of its key", async () => {
    await ensureOutboxTable(pool, table);
    const amqp = createAmqpTransport({ url: AMQP_URL });
    const missing = newTopic(); // its exchange does not exist until its consumers are declared
    const ready = newTopic();
    try {
      await amqp.declare({ topic: ready, group: "g" });
      await inTransaction(async (db) => {
        await enqueue(db, missing, { id: "k1-first", key: "k1", payload: bytes("1") }, { table });
        await enqueue(db, missing, { id: "k1-second", key: "k1", payload: bytes("2") }, { table });
        await enqueue(db, ready, { id: "k2-other", key: "k2", payload: bytes("3") }, { table });
      });
      const relay = new OutboxRelay({
        pool,
        transport: amqp,
        table,
        retry: { baseMs: 1000, maxMs: 1000, jitter: "none" },
      });
      expect(await relay.relayOnce()).toBe(1); // only k2: k1's first failed, its second waits behind it
      const left = await rowsLeft();
      expect(left.map((r) => r.message_id)).toEqual(["k1-first", "k1-second"]);
      expect(left[0]).toMatchObject({ attempts: 1 });
      expect(left[0]!.last_error).toMatch(/does not exist/);
      expect(left[1]).toMatchObject({ attempts: 0, last_error: null });
      expect(await relay.relayOnce()).toBe(0); // k1-first not due yet; k1-second must not overtake it

      // The consumers get deployed: the retry goes through, in order.
      await amqp.declare({ topic: missing, group: "g" });
      const order: string[] = [];
      await amqp.subscribe(missing, "g", async (d) => {
        order.push(d.message.id);
        await d.ack();
      });
      // k1-first is due again after its backoff (1 s; later on a loaded machine): relay until both went.
      let relayed = 0;
      await waitFor(
        async () => (relayed += await relay.relayOnce()) >= 2,
        10_000,
        "the retry to be due",
        200,
      );
      expect(relayed).toBe(2);
      await waitFor(() => order.length === 2, 10_000, "both k1 messages");
      expect(order).toEqual(["k1-first", "k1-second"]);
      expect(relay.stats).toMatchObject({ published: 3, failed: 1 });
    } finally {
      await amqp.close({ timeoutMs: 2000 });
    }
  });

  it("lets one relay work at a time, and a standby take over", async () => {
    await ensureOutboxTable(pool, table);
    const transport = redis.create();
    await transport.declare({ topic: "shipments", group: "g" });
    await inTransaction(async (db) => {
      await enqueue(db, "shipments", { payload: bytes("s1") }, { table });
    });
    const standby = new OutboxRelay({ pool, transport, table });
    // Another relay is mid-pass: it holds the table's advisory lock.
    const busy = await pool.connect();
    try {
      await busy.query("BEGIN");
      await busy.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`mqa-outbox:${table}`]);
      expect(await standby.relayOnce()).toBe(0);
      expect(await rowsLeft()).toHaveLength(1);
      await busy.query("COMMIT"); // it finished (or died: the lock goes with its transaction)
    } finally {
      busy.release();
    }
    expect(await standby.relayOnce()).toBe(1);
  });

  it("relays continuously while started, every committed message exactly once in normal operation", async () => {
    await ensureOutboxTable(pool, table);
    const transport = redis.create();
    await transport.declare({ topic: "events", group: "g" });
    const seen: string[] = [];
    await transport.subscribe("events", "g", async (d) => {
      seen.push(d.message.id);
      await d.ack();
    });
    const relay = new OutboxRelay({ pool, transport, table, pollMs: 20, batchSize: 7 });
    relay.start();
    const ids: string[] = [];
    try {
      for (let t = 0; t < 10; t++) {
        await inTransaction(async (db) => {
          for (let i = 0; i < 5; i++)
            ids.push((await enqueue(db, "events", { payload: bytes(`${t}.${i}`) }, { table })).id);
        });
      }
      await waitFor(() => seen.length >= ids.length, 20_000, "every message");
    } finally {
      await relay.stop(); // also when the wait failed: no relay outlives its test (and its table)
    }
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(seen).toEqual(ids); // one relay, in commit order
    expect(await rowsLeft()).toEqual([]);
  });

  it("refuses a table name that is not a plain SQL identifier", async () => {
    await expect(ensureOutboxTable(pool, "outbox; DROP TABLE users")).rejects.toMatchObject({
      code: "invalid-options",
    });
  });
});

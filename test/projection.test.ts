/**
 * Projections on the real brokers and PostgreSQL. On Redis Streams: 100,000 events feed a live read model;
 * a rebuild of a second model from the same history is killed half-way (SIGKILL, in a process of its own),
 * resumed, and swapped in while a live projector keeps following the topic and new events arrive; the
 * rebuilt model equals a model that was never rebuilt, and both equal what the events say. On RabbitMQ the
 * same from the topic's history stream, smaller.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../src/testing/mod.js";
import { Projection, type ProjectionProgress } from "../src/projection/mod.js";
import { defineTopology } from "../src/spec/define.js";
import type { Transport } from "../src/core/transport.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { balancesProjection } from "./fixtures/balances-projection.mjs";
import { AMQP_URL } from "./support/amqp.js";
import { REDIS_URL, deleteKeys, uniquePrefix } from "./redis-helpers.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
const suffix = randomBytes(4).toString("hex");
const checkpoints = `mqa_proj_cp_${suffix}`;
const tables: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
const fixture = new URL("./fixtures/projection-rebuild.mjs", import.meta.url).pathname;

afterAll(async () => {
  for (const f of cleanups) await f().catch(() => undefined);
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS ${t}, ${t}__rebuild, ${t}__old`);
  await pool.query(`DROP TABLE IF EXISTS ${checkpoints}`);
  await pool.end();
});

const ACCOUNTS = 1000;

/** Publish events `from`…`to - 1` (`account a<seq % ACCOUNTS>`, amount seq % 7 - 3) and fold them into `oracle`. */
async function publishEvents(
  transport: Transport,
  topic: string,
  from: number,
  to: number,
  oracle: Map<string, { balance: number; events: number; last_seq: number }>,
): Promise<void> {
  for (let i = from; i < to; i += 1000) {
    const chunk: Promise<unknown>[] = [];
    for (let seq = i; seq < Math.min(to, i + 1000); seq++) {
      const account = `a${seq % ACCOUNTS}`;
      const amount = (seq % 7) - 3;
      const o = oracle.get(account) ?? { balance: 0, events: 0, last_seq: -1 };
      o.balance += amount;
      o.events += 1;
      o.last_seq = seq;
      oracle.set(account, o);
      chunk.push(
        transport.publish(topic, {
          id: `e${seq}`,
          payload: new TextEncoder().encode(JSON.stringify({ account, amount, seq })),
          contentType: "application/json",
        }),
      );
    }
    await Promise.all(chunk);
  }
}

async function rowsOf(
  table: string,
): Promise<{ account: string; balance: number; events: number; last_seq: number }[]> {
  const { rows } = await pool.query(
    `SELECT account, balance::int AS balance, events, last_seq FROM ${table} ORDER BY account`,
  );
  return rows as { account: string; balance: number; events: number; last_seq: number }[];
}

const sorted = (oracle: Map<string, { balance: number; events: number; last_seq: number }>) =>
  [...oracle].map(([account, o]) => ({ account, ...o })).sort((a, b) => (a.account < b.account ? -1 : 1));

describe("projections on Redis Streams", () => {
  it("rebuilds 100,000 events into a model equal to the live one, resuming after a kill, swapping under a live projector", async () => {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const topic = "ledger";
    const rebuilt = `proj_rebuilt_${suffix}`;
    const reference = `proj_reference_${suffix}`;
    tables.push(rebuilt, reference);
    const transport = createRedisTransport({ url: REDIS_URL, keyPrefix: prefix });
    const oracle = new Map<string, { balance: number; events: number; last_seq: number }>();
    const options = (progress?: (p: ProjectionProgress) => void) => ({
      url: REDIS_URL,
      pool,
      checkpointTable: checkpoints,
      batchSize: 500,
      replay: { keyPrefix: prefix },
      ...(progress ? { onProgress: progress } : {}),
    });
    const livePhases: string[] = [];
    const live = new Projection(
      balancesProjection("rebuilt", topic, rebuilt),
      options((p) => livePhases.push(p.phase)),
    );
    const never = new Projection(balancesProjection("reference", topic, reference), options());
    try {
      await transport.declare({ topic, group: "g" });
      await publishEvents(transport, topic, 0, 100_000, oracle);
      expect(await live.catchUp()).toBe(100_000);
      expect(await rowsOf(rebuilt)).toEqual(sorted(oracle));

      // A live projector keeps following while the model is rebuilt.
      const following = live.catchUp({ follow: true });

      // The rebuild, in a process of its own, killed once it has committed 30,000 events.
      const child = spawn(
        process.execPath,
        [fixture, REDIS_URL, prefix, PG_URL, checkpoints, "rebuilt", topic, rebuilt],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const committed = () => Math.max(0, ...[...out.matchAll(/rebuild (\d+)/g)].map((m) => Number(m[1])));
      await waitFor(() => committed() >= 30_000, 60_000, `the rebuild to get going: ${err}`);
      child.kill("SIGKILL");
      await exited;
      expect(out).not.toContain("done");
      const before = committed();

      // New events arrive once the resumed rebuild has read past its start: the rebuild ends before them
      // (the end of the topic when it opened), the live projector applies them to the old table.
      const phases: string[] = [];
      let arriving: Promise<void> | undefined;
      const rebuilder = new Projection(
        balancesProjection("rebuilt", topic, rebuilt),
        options((p) => {
          phases.push(p.phase);
          arriving ??= publishEvents(transport, topic, 100_000, 100_500, oracle);
        }),
      );
      const resumed = await rebuilder.rebuild();
      await arriving;
      // It resumed: what the killed rebuild committed was not applied again, and it ended at its open time.
      // (`before` is what the child reported; it may have committed one batch more before the kill.)
      expect(resumed).toBeGreaterThan(0);
      expect(resumed).toBeLessThanOrEqual(100_000 - before);
      expect(phases.at(-1)).toBe("swap");

      // The live projector, swapped under, goes on from the rebuilt model's position.
      await waitFor(async () => {
        const { rows } = await pool.query(`SELECT coalesce(sum(events), 0)::int AS n FROM ${rebuilt}`);
        return (rows[0] as { n: number }).n === 100_500;
      }, 30_000);
      await live.stop();
      await following;
      // The live projector had applied the new events to the old table; swapped under, it reopened from the
      // rebuilt model's position and applied them again, to the new one.
      expect(livePhases).toContain("reopened");

      expect(await never.catchUp()).toBe(100_500);
      const reference_ = await rowsOf(reference);
      expect(reference_).toEqual(sorted(oracle));
      expect(await rowsOf(rebuilt)).toEqual(reference_);
      const { rows: leftovers } = await pool.query(`SELECT to_regclass($1) AS t`, [`${rebuilt}__rebuild`]);
      expect((leftovers[0] as { t: string | null }).t).toBeNull();
    } finally {
      await live.stop();
      await transport.close();
    }
  }, 240_000);
});

describe("projections on RabbitMQ", () => {
  it("feeds a model from the topic's history stream and rebuilds it to the same rows", async () => {
    const topic = `proj-${suffix}`;
    const table = `proj_rabbit_${suffix}`;
    tables.push(table);
    const spec = defineTopology({
      version: 1,
      rabbitmq: {
        vhosts: [{ name: "/" }],
        topics: [{ name: topic, history: { maxAge: "1h" }, groups: [{ name: "g" }] }],
      },
    });
    const transport = createAmqpTransport({ url: AMQP_URL, topology: spec });
    cleanups.push(async () => {
      const { default: amqp } = await import("amqplib");
      const c = await amqp.connect(AMQP_URL);
      const ch = await c.createChannel();
      for (const q of [`${topic}.g`, `${topic}.g.dlq`, `${topic}.history`]) await ch.deleteQueue(q);
      await ch.deleteExchange(topic);
      await c.close();
    });
    const oracle = new Map<string, { balance: number; events: number; last_seq: number }>();
    const projection = new Projection(balancesProjection(`rabbit-${suffix}`, topic, table), {
      url: AMQP_URL,
      pool,
      checkpointTable: checkpoints,
      batchSize: 250,
      replay: { topology: spec },
    });
    try {
      await transport.declare({ topic, group: "g" });
      await publishEvents(transport, topic, 0, 3000, oracle);
      expect(await projection.catchUp()).toBe(3000);
      expect(await rowsOf(table)).toEqual(sorted(oracle));
      await publishEvents(transport, topic, 3000, 3300, oracle);
      expect(await projection.catchUp()).toBe(300);
      expect(await projection.rebuild()).toBe(3300);
      expect(await rowsOf(table)).toEqual(sorted(oracle));
      // After the swap the live model goes on from where the rebuild ended: nothing new, nothing twice.
      expect(await projection.catchUp()).toBe(0);
    } finally {
      await transport.close();
    }
  }, 120_000);
});

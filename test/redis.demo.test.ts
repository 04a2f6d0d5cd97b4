import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { createTransport } from "../src/connect.js";
import { ORDERS_TOPIC, runDemo } from "../src/demo/pipeline.js";
import { removeDemoTopics } from "../src/demo/cleanup.js";
import { createRedisTransport, RedisKeyNames, RedisTransport } from "../src/transports/redis/mod.js";
import { mqa } from "./support/cli.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis-helpers.js";

const keyPrefix = uniquePrefix();
afterAll(() => deleteKeys(keyPrefix));

describe("mqa demo on Redis Streams", () => {
  it("createTransport maps redis:// and rediss:// to the Redis transport", async () => {
    const t = await createTransport(REDIS_URL);
    expect(t).toBeInstanceOf(RedisTransport);
    expect(await createTransport("rediss://127.0.0.1:6380")).toBeInstanceOf(RedisTransport);
    await t.close();
  });

  it("runs the order pipeline with nothing lost and the poison orders in the DLQ stream with reasons", async () => {
    const transport = createRedisTransport({ url: REDIS_URL, keyPrefix, claimIdleMs: 2000 });
    const report = await runDemo({ transport, brokerLabel: "redis", orders: 30, timeoutMs: 30_000 });
    await transport.close({ timeoutMs: 2000 });
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.deadLettered).toBeGreaterThan(0);
    const r = new Redis(REDIS_URL);
    const dlqKeys: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${keyPrefix}:*:dlq:*`);
      cursor = next;
      dlqKeys.push(...keys);
    } while (cursor !== "0");
    expect(dlqKeys.length).toBeGreaterThan(0);
    expect(dlqKeys.some((k) => k.startsWith(transport.names.stream(ORDERS_TOPIC)))).toBe(true);
    const reasons = new Set<string>();
    for (const key of dlqKeys) {
      for (const [, fields] of await r.xrange(key, "-", "+"))
        reasons.add(fields[fields.indexOf("reason") + 1]!);
    }
    r.disconnect();
    expect(reasons.size).toBeGreaterThan(0);
    expect([...reasons].every((x) => ["max-attempts", "invalid-payload", "unrecoverable"].includes(x))).toBe(
      true,
    );
    expect(report.deadLetters.length).toBe(report.deadLettered);
  });

  it("mqa demo removes the run's streams when it ends, and keeps them with --keep", async () => {
    const ns = `mqa-demo-test-${Math.random().toString(36).slice(2, 10)}`;
    const names = new RedisKeyNames();
    const r = new Redis(REDIS_URL);
    const keysOf = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const topic of [`${ns}.orders`, `${ns}.payments`]) {
        let cursor = "0";
        do {
          const [next, keys] = await r.scan(cursor, "MATCH", names.topicPattern(topic), "COUNT", 1000);
          cursor = next;
          out.push(...keys);
        } while (cursor !== "0");
      }
      return out;
    };
    try {
      const run = await mqa("demo", "--broker", REDIS_URL, "--orders", "20", "--namespace", ns, "--json");
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ lost: 0, published: 20 });
      expect(await keysOf()).toEqual([]);

      const kept = await mqa("demo", "--broker", REDIS_URL, "--orders", "20", "--namespace", ns, "--keep");
      expect(kept.code, kept.stderr).toBe(0);
      expect((await keysOf()).length).toBeGreaterThan(0);
    } finally {
      await removeDemoTopics(REDIS_URL, ns);
      expect(await keysOf()).toEqual([]);
      r.disconnect();
    }
  });
});

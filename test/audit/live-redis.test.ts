/**
 * Live Redis audit against the real shared Redis (127.0.0.1:6379). Unique key names, cleaned up after.
 * The shared server runs with appendonly off, so that finding must appear.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";
import { FORMATS, render } from "../../src/audit/reporters/mod.js";
import { loadRedisLive } from "../../src/audit/sources/redis-live.js";

const PREFIX = `mqa-audit-test:${randomBytes(4).toString("hex")}:`;
const PASSWORD = "Pw-Not-Printed-77"; // the shared default user is nopass, so any AUTH password is accepted
const URL = `redis://default:${PASSWORD}@127.0.0.1:6379`;
const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });

const stuck = `${PREFIX}stuck`;
const lonely = `${PREFIX}lonely`;
const big = `${PREFIX}big`;

beforeAll(async () => {
  await redis.connect();
  // stuck: a group whose consumer took entries, never acked them, and the stream was trimmed under it.
  for (let i = 0; i < 3; i++) await redis.xadd(stuck, "*", "n", String(i));
  await redis.xgroup("CREATE", stuck, "workers", "0");
  const read = (await redis.xreadgroup("GROUP", "workers", "w-1", "COUNT", 2, "STREAMS", stuck, ">")) as [
    string,
    [string, string[]][],
  ][];
  const ids = read[0]![1].map(([id]) => id);
  await redis.xclaim(stuck, "workers", "w-1", 0, ...ids, "RETRYCOUNT", 9);
  await redis.xtrim(stuck, "MAXLEN", 0);
  // lonely: a stream nobody reads through a group.
  await redis.xadd(lonely, "*", "n", "1");
  // big: entries piling up, never trimmed.
  const p = redis.pipeline();
  for (let i = 0; i < 20; i++) p.xadd(big, "*", "n", String(i));
  await p.exec();
  await redis.xgroup("CREATE", big, "readers", "$");
  await new Promise((r) => setTimeout(r, 20)); // let w-1 become idle for the 10 ms threshold
});

afterAll(async () => {
  await redis.del(stuck, lonely, big);
  await redis.quit();
});

describe("live Redis audit", () => {
  it("finds the shared server's settings and this test's broken streams", async () => {
    const model = await loadRedisLive(URL, { match: `${PREFIX}*`, sampleMs: 0 });
    expect(model.redis!.streams.map((s) => s.key).sort()).toEqual([big, lonely, stuck].sort());
    const findings = runAudit(model, {
      thresholds: { untrimmedStreamLength: 10, idleConsumerMs: 10, deliveryCount: 5 },
    });
    const has = (ruleId: string, text: string): boolean =>
      findings.some((f) => f.ruleId === ruleId && `${f.resource} ${f.message}`.includes(text));

    expect(has("redis-appendonly-off", "appendonly is no")).toBe(true);
    expect(has("redis-stream-without-group", lonely)).toBe(true);
    expect(has("redis-stream-untrimmed", big)).toBe(true);
    expect(has("redis-idle-consumer-pending", "w-1")).toBe(true);
    expect(has("redis-high-delivery-count", stuck)).toBe(true);
    expect(has("redis-pel-trimmed-entries", stuck)).toBe(true);
    expect(has("redis-entries-trimmed-unread", stuck)).toBe(true);
    expect(has("redis-group-without-consumers", big)).toBe(false); // readers started at $: nothing unread

    for (const format of FORMATS) {
      const out = render({ source: model.source, findings, rules: ALL_RULES }, format);
      expect(out).not.toContain(PASSWORD);
    }
    expect(model.source.target).toBe("redis://default:****@127.0.0.1:6379");
  });

  it("samples twice to see a growing backlog", async () => {
    const growing = `${PREFIX}growing`;
    await redis.xadd(growing, "*", "n", "0");
    await redis.xgroup("CREATE", growing, "slow", "0");
    const writer = setInterval(() => void redis.xadd(growing, "*", "n", "1"), 10);
    try {
      const model = await loadRedisLive(URL, { match: growing, sampleMs: 300 });
      const g = model.redis!.streams[0]!.groups[0]!;
      expect(g.lagDelta).toBeGreaterThan(0);
      expect(runAudit(model).some((f) => f.ruleId === "redis-group-lag-growing")).toBe(true);
    } finally {
      clearInterval(writer);
      await redis.del(growing);
    }
  });
});

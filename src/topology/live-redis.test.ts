import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { specToRedisModel } from "./expand-redis.js";
import { redisScript } from "./export-redis.js";
import { applyTopology, planTopology, rollbackTopology } from "./live.js";
import { validateSpec } from "../spec/parse.js";
import { connectRedisAdmin, type RedisAdmin } from "../brokers/redis-admin.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import { REDIS_URL, cleanupRedis, uniqueName } from "../../test/support/topology.js";

/** Each test's own key prefix (its `-fresh` and `-script` variants too), deleted after it. */
let prefix: string;
let redis: RedisAdmin;
let dir: string;

function spec(
  options: { groups?: string[]; maxLength?: number; prefix?: string; partitions?: number } = {},
): TopologySpec {
  return validateSpec({
    version: 1,
    redis: {
      keyPrefix: options.prefix ?? prefix,
      streams: [
        {
          name: "payments",
          partitions: options.partitions ?? 2,
          retention: { maxLength: options.maxLength ?? 1000 },
          groups: (options.groups ?? ["ledger", "fraud"]).map((name) => ({ name })),
        },
        { name: "audit", groups: [{ name: "archive", deadLetter: false }] },
      ],
    },
  });
}

beforeAll(async () => {
  redis = await connectRedisAdmin(REDIS_URL);
  dir = await mkdtemp(join(tmpdir(), "mqa-topo-redis-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await redis?.close();
});
beforeEach(() => {
  prefix = uniqueName("mqa-topo");
});
afterEach(async () => {
  await cleanupRedis(prefix); // also `${prefix}-fresh` and `${prefix}-script`
});

describe("topology against the real Redis", () => {
  it("plans creates, applies, and a second apply changes nothing", async () => {
    const plan = await planTopology(spec(), REDIS_URL);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      "create partitions payments",
      "create partitions audit",
      `create stream ${prefix}:{payments#0}`,
      `create retention ${prefix}:{payments#0}`,
      `create stream ${prefix}:{payments#1}`,
      `create retention ${prefix}:{payments#1}`,
      `create retry stream ${prefix}:{payments#0}:retry:ledger`,
      `create retry stream ${prefix}:{payments#1}:retry:ledger`,
      `create retry stream ${prefix}:{payments#0}:retry:fraud`,
      `create retry stream ${prefix}:{payments#1}:retry:fraud`,
      `create stream ${prefix}:{audit}`,
      `create retry stream ${prefix}:{audit}:retry:archive`,
    ]);
    await applyTopology(spec(), REDIS_URL, { rollbackFile: join(dir, "first.json") });
    expect(await redis.call("TYPE", `${prefix}:{payments#1}`)).toBe("stream");
    // The first group of a stream starts at 0, later ones at $ (the transport's rule).
    const groups = (await redis.call("XINFO", "GROUPS", `${prefix}:{payments#1}`)) as unknown[][];
    expect(groups.map((g) => g[1])).toEqual(["fraud", "ledger"]);
    const second = await applyTopology(spec(), REDIS_URL, { rollbackFile: join(dir, "second.json") });
    expect(second.applied).toEqual([]);
    expect(second.plan.unchanged).toBeGreaterThan(0);
  });

  it("sees drift and never touches entries; rollback restores", async () => {
    await applyTopology(spec(), REDIS_URL, { rollbackFile: join(dir, "base.json") });
    expect((await planTopology(spec(), REDIS_URL)).changes).toEqual([]);
    await redis.call("XADD", `${prefix}:{payments#0}`, "*", "order", "1");
    await redis.call("XGROUP", "DESTROY", `${prefix}:{payments#0}`, "fraud");
    const drift = await planTopology(spec(), REDIS_URL);
    expect(drift.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      `create group ${prefix}:{payments#0} fraud`,
    ]);
    await applyTopology(spec(), REDIS_URL, { rollbackFile: join(dir, "drift.json") });

    const changed = spec({ groups: ["ledger", "fraud", "risk"], maxLength: 50 });
    const file = join(dir, "rollback.json");
    const result = await applyTopology(changed, REDIS_URL, { rollbackFile: file });
    expect(result.applied.map((c) => `${c.action} ${c.kind}`)).toEqual([
      "create group",
      "update retention",
      "create group",
      "update retention",
      "create retry stream",
      "create retry stream",
    ]);
    expect((await planTopology(changed, REDIS_URL)).changes).toEqual([]);
    await rollbackTopology(file, REDIS_URL);
    expect((await planTopology(spec(), REDIS_URL)).changes).toEqual([]);
    expect(await redis.call("XLEN", `${prefix}:{payments#0}`)).toBe(1);

    // Another partition count cannot be applied: the transport refuses it, so the plan shows a migration.
    const repartitioned = await planTopology(spec({ partitions: 3 }), REDIS_URL);
    const change = repartitioned.changes.find((c) => c.kind === "partitions");
    expect(change).toMatchObject({ action: "replace", fields: [{ field: "partitions", from: 2, to: 3 }] });
    expect(change?.migration?.join("\n")).toMatch(/payments-v2/);
  });

  it("rolling back a fresh apply leaves no key behind", async () => {
    const fresh = `${prefix}-fresh`;
    const file = join(dir, "fresh.json");
    await applyTopology(spec({ prefix: fresh }), REDIS_URL, { rollbackFile: file });
    const keys = async (): Promise<unknown> => redis.call("KEYS", `${fresh}:*`);
    expect(((await keys()) as string[]).length).toBeGreaterThan(0);
    await rollbackTopology(file, REDIS_URL);
    expect(await keys()).toEqual([]);
  });

  it("the exported Redis script, run by redis-cli, builds the same topology", async () => {
    const other = `${prefix}-script`;
    const script = redisScript(specToRedisModel(spec({ prefix: other })));
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn("redis-cli", ["-u", REDIS_URL], { stdio: ["pipe", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.stderr.on("data", (d: Buffer) => (text += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(text))));
      child.stdin.end(script + script); // twice: the script is safe to repeat
    });
    // redis-cli prints one reply per command: the first run creates everything (1), the second nothing (0).
    const replies = output.trim().split("\n");
    expect(replies.length % 2).toBe(0);
    expect(new Set(replies.slice(0, replies.length / 2))).toEqual(new Set(["1"]));
    expect(new Set(replies.slice(replies.length / 2))).toEqual(new Set(["0"]));
    expect((await planTopology(spec({ prefix: other }), REDIS_URL)).changes).toEqual([]);
  });
});

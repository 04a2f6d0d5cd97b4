/** `mqa dlq` on the real Redis: the built CLI over a DLQ this file fills (unique topic, keys removed after). */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { createRedisTransport, type RedisTransport } from "../src/transports/redis/mod.js";
import { waitFor } from "../src/testing/mod.js";
import { REDIS_URL } from "./redis-helpers.js";
import { AMQP_URL } from "./support/amqp.js";
import { cleanupRabbit, RABBIT_MANAGEMENT_URL, uniqueName } from "./support/topology.js";
import { RabbitManagementApi } from "../src/brokers/management-api.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { mqa } from "./support/cli.js";

const topics: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "mqa-dlq-cli-"));
let transport: RedisTransport;

/** A topic of its own with group g's DLQ filled: three invalid payloads, two timeouts; and a group `copy`. */
async function fill(): Promise<{ topic: string; at: string[] }> {
  const topic = `dlqcli-${Math.random().toString(36).slice(2, 10)}`;
  topics.push(topic);
  await transport.declare({ topic, group: "g" });
  await transport.declare({ topic, group: "copy" });
  let failed = 0;
  const sub = await transport.subscribe(topic, "g", async (d) => {
    const timeout = d.message.headers["kind"] === "timeout";
    await d.deadLetter(
      timeout
        ? { reason: "max-attempts", error: { name: "TimeoutError", message: "upstream timeout" } }
        : { reason: "invalid-payload", error: { name: "ZodError", message: "bad amount" } },
    );
    failed++;
  });
  for (let i = 0; i < 5; i++)
    await transport.publish(topic, {
      id: `m-${i}`,
      payload: new Uint8Array([i, 0xff, 0x00]),
      headers: { kind: i < 3 ? "invalid" : "timeout" },
    });
  await waitFor(() => failed === 5, 10_000);
  await sub.close();
  return { topic, at: ["--broker", REDIS_URL, "--topic", topic] };
}

beforeAll(() => {
  transport = createRedisTransport({ url: REDIS_URL });
});

afterAll(async () => {
  await transport.close({ timeoutMs: 2000 });
  const client = new Redis(REDIS_URL);
  for (const topic of topics) {
    const keys = await client.keys(transport.names.topicPattern(topic));
    if (keys.length > 0) await client.del(...keys);
  }
  client.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe("mqa dlq on Redis", () => {
  it("list and stats report the DLQ as JSON", async () => {
    const { topic, at } = await fill();
    const list = await mqa("dlq", "list", ...at, "--group", "g", "--json");
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ topic, group: "g", count: 5 });
    const stats = await mqa("dlq", "stats", ...at, "--group", "g", "--json");
    expect(stats.code, stats.stderr).toBe(0);
    const parsed = JSON.parse(stats.stdout) as { byReason: { key: string; count: number }[] };
    expect(parsed.byReason.map((g) => [g.key, g.count])).toEqual([
      ["invalid-payload", 3],
      ["max-attempts", 2],
    ]);
    const show = await mqa("dlq", "show", ...at, "--group", "g", "--reason", "max-attempts");
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("error: TimeoutError: upstream timeout");
  });

  it("export then import into another group round-trips every dead letter; purge deletes only what matches", async () => {
    const { at } = await fill();
    const file = join(dir, "g.ndjson");
    const exported = await mqa("dlq", "export", ...at, "--group", "g", "--out", file);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(5);
    const imported = await mqa("dlq", "import", ...at, "--group", "copy", "--in", file, "--json");
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 5 });
    const again = await mqa("dlq", "export", ...at, "--group", "copy");
    const strip = (text: string) =>
      text
        .trim()
        .split("\n")
        .map((l) => {
          const { group: _g, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return rest;
        });
    expect(strip(again.stdout)).toEqual(strip(readFileSync(file, "utf8")));

    const refused = await mqa("dlq", "purge", ...at, "--group", "copy", "--reason", "max-attempts");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--yes");
    const purged = await mqa(
      "dlq",
      "purge",
      ...at,
      "--group",
      "copy",
      "--reason",
      "max-attempts",
      "--yes",
      "--json",
    );
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ removed: 2, kept: 3 });
  });

  it("redrive moves one cause back to the group; a dry run changes nothing", async () => {
    const { topic, at } = await fill();
    const dry = await mqa("dlq", "redrive", ...at, "--group", "g", "--error", "zod", "--dry-run", "--json");
    expect(JSON.parse(dry.stdout)).toMatchObject({ matched: 3, redriven: 0 });
    const done = await mqa(
      "dlq",
      "redrive",
      ...at,
      "--group",
      "g",
      "--error",
      "zod",
      "--rate",
      "100",
      "--json",
    );
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ matched: 3, redriven: 3, kept: 2 });
    const got: string[] = [];
    const sub = await transport.subscribe(topic, "g", async (d) => {
      got.push(d.message.id);
      await d.ack();
    });
    await waitFor(() => got.length >= 3, 10_000);
    await sub.close();
    expect(got.sort()).toEqual(["m-0", "m-1", "m-2"]);
  });

  it("a group or topic that does not exist is not-found (exit 2), on Redis and RabbitMQ alike", async () => {
    const { topic, at } = await fill();
    const absent = `dlqcli-absent-${Math.random().toString(36).slice(2, 10)}`;
    const runs = await Promise.all([
      mqa("dlq", "list", ...at, "--group", "nobody"),
      mqa("dlq", "show", "--broker", REDIS_URL, "--topic", absent, "--group", "g"),
      mqa("dlq", "list", "--broker", AMQP_URL, "--topic", absent, "--group", "g"),
    ]);
    const expected = [
      `group 'nobody' of topic '${topic}' does not exist`,
      `group 'g' of topic '${absent}' does not exist`,
      `group 'g' of topic '${absent}' does not exist`,
    ];
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(expected[i]);
      expect(r.stderr).toContain("[not-found]");
      expect(r.stderr).not.toContain("guest:guest");
      expect(r.stdout).toBe("");
    });
  });

  it("list without --topic/--group lists every group's DLQ with count and ages (Redis: SCAN)", async () => {
    const { topic } = await fill();
    const all = await mqa("dlq", "list", "--broker", REDIS_URL, "--json");
    expect(all.code, all.stderr).toBe(0);
    const list = (JSON.parse(all.stdout) as { deadLetterQueues: Record<string, unknown>[] }).deadLetterQueues;
    const mine = list.filter((q) => q["topic"] === topic);
    // Group `copy` has no DLQ stream yet (nothing was dead-lettered there): not listed.
    expect(mine).toEqual([
      {
        topic,
        group: "g",
        queues: [`mqa:{${topic}}:dlq:g`],
        count: 5,
        oldestAt: expect.any(Number) as number,
        newestAt: expect.any(Number) as number,
      },
    ]);
    const text = await mqa("dlq", "list", "--broker", REDIS_URL);
    expect(text.stdout).toMatch(
      new RegExp(`^${topic}/g: 5 dead letter\\(s\\), oldest \\d+s ago, newest \\d+s ago$`, "m"),
    );
  });
});

describe("mqa dlq list on RabbitMQ", () => {
  it("without --topic/--group lists the .dlq queues of the URL's vhost through the management API", async () => {
    // A vhost of its own: listing walks every mqa DLQ it finds, and other tests' DLQs are not this test's.
    const vhost = uniqueName("dlqlist");
    const api = new RabbitManagementApi(RABBIT_MANAGEMENT_URL);
    await api.putVhost({ name: vhost });
    try {
      await api.putPermission({ vhost, user: "guest", configure: ".*", write: ".*", read: ".*" });
      const url = `${AMQP_URL}/${encodeURIComponent(vhost)}`;
      const t = createAmqpTransport({ url });
      try {
        await t.declare({ topic: "orders.eu", group: "billing" });
        await t.declare({ topic: "orders.eu", group: "audit" });
        for (const id of ["a", "b"])
          await t.appendDeadLetter("orders.eu", "billing", {
            id,
            payload: new Uint8Array([1]),
            headers: { "x-mqa-dead-letter-reason": "max-attempts" },
          });
      } finally {
        await t.close({ timeoutMs: 2000 });
      }
      const r = await mqa("dlq", "list", "--broker", url, "--json");
      expect(r.code, r.stderr).toBe(0);
      const list = (JSON.parse(r.stdout) as { deadLetterQueues: unknown[] }).deadLetterQueues;
      expect(list).toEqual([
        { topic: "orders.eu", group: "audit", queues: ["orders.eu.audit.dlq"], count: 0 },
        {
          topic: "orders.eu",
          group: "billing",
          queues: ["orders.eu.billing.dlq"],
          count: 2,
          oldestAt: expect.any(Number) as number,
          newestAt: expect.any(Number) as number,
        },
      ]);
      expect(r.stderr).not.toContain("guest:guest");
    } finally {
      await cleanupRabbit([vhost]);
    }
  });
});

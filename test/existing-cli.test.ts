/**
 * The CLI on real brokers, as a new user would drive it: design → apply → publish/consume through the spec
 * → `mqa topology diff` clean, on RabbitMQ and on Redis; and resources other services own (a queue, an
 * exchange, a stream in another field layout), reached by name without a spec.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { AMQP_URL } from "./support/amqp.js";
import { mqa } from "./support/cli.js";
import { RABBIT_MANAGEMENT_URL, REDIS_URL, cleanupRabbit, cleanupRedis } from "./support/topology.js";

const id = (): string => randomBytes(4).toString("hex");
const vhosts: string[] = [];
const prefixes: string[] = [];
const streamKeys: string[] = [];
const queues: string[] = [];
const exchanges: string[] = [];
const keys: string[] = [];

afterAll(async () => {
  // Redis first: a broker-side failure below must not leave keys behind. A foreign stream's companion keys
  // (`mqa:{<key>}:…`) are found by pattern, so keys mqa made after the test looked are removed too.
  const redis = new Redis(REDIS_URL);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  for (const p of [...prefixes, ...streamKeys.map((k) => `mqa:{${k}}`)]) await cleanupRedis(p);
  await cleanupRabbit(vhosts);
  const model = await amqplib.connect(AMQP_URL);
  const ch = await model.createChannel();
  for (const q of queues) await ch.deleteQueue(q);
  for (const e of exchanges) await ch.deleteExchange(e);
  await model.close();
});

/** `mqa design` a requirements file; returns the spec it wrote, as data. */
async function design(lines: string[]): Promise<{ dir: string; spec: Record<string, unknown> }> {
  const dir = await mkdtemp(join(tmpdir(), "mqa-existing-"));
  await writeFile(join(dir, "req.yaml"), lines.join("\n"));
  const out = await mqa("design", join(dir, "req.yaml"), "--spec-out", join(dir, "designed.yaml"));
  expect(out.code, out.stderr).toBe(0);
  return { dir, spec: parse(await readFile(join(dir, "designed.yaml"), "utf8")) as Record<string, unknown> };
}

/** One JSON line per message. */
const lines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("design → apply → consume, through the spec", () => {
  it("RabbitMQ: the designed quorum queues (x-max-length, reject-publish, delivery limit) are consumed; no drift", async () => {
    const name = `pay-${id()}`;
    const { dir, spec } = await design([
      `name: ${name}`,
      "rate: 3000",
      "durability: strict",
      "groups: [ledger, notify]",
      "brokers: [rabbitmq]",
    ]);
    // Its own vhost, so the diff below speaks of this spec only (the shared "/" holds other tests' queues).
    const vhost = `mqa-existing-${id()}`;
    vhosts.push(vhost);
    const rabbit = spec["rabbitmq"] as {
      vhosts: unknown[];
      topics: Array<Record<string, unknown>>;
      policies?: Array<Record<string, unknown>>;
    };
    rabbit.vhosts = [{ name: vhost }];
    for (const t of rabbit.topics) t["vhost"] = vhost;
    for (const p of rabbit.policies ?? []) p["vhost"] = vhost; // the DLQs' length-limit policy
    expect(rabbit.policies?.length).toBe(1);
    expect(JSON.stringify(rabbit.topics)).toContain("x-max-length");
    const file = join(dir, "topology.yaml");
    await writeFile(file, stringify(spec));

    const apply = await mqa("topology", "apply", file, "--broker", RABBIT_MANAGEMENT_URL);
    expect(apply.code, apply.stderr).toBe(0);
    const broker = `${AMQP_URL}/${encodeURIComponent(vhost)}`;
    const pub = await mqa(
      "publish",
      "--broker",
      broker,
      "--spec",
      file,
      "--topic",
      name,
      '{"amount":"9.99"}',
    );
    expect(pub.code, pub.stderr).toBe(0);
    expect(lines(pub.stdout)[0]).toMatchObject({ topic: name, confirmed: true });
    for (const group of ["ledger", "notify"]) {
      const got = await mqa(
        "consume",
        "--broker",
        broker,
        "--spec",
        file,
        "--topic",
        name,
        "--group",
        group,
        "--count",
        "1",
      );
      expect(got.code, got.stderr).toBe(0);
      expect(lines(got.stdout)[0]).toMatchObject({ group, payload: { amount: "9.99" } });
    }
    const unknown = await mqa(
      "consume",
      "--broker",
      broker,
      "--spec",
      file,
      "--topic",
      name,
      "--group",
      "nope",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /group 'nope' of topic '.*' is not in the topology spec; its groups are: 'ledger', 'notify'/,
    );

    const diff = await mqa("topology", "diff", file, "--broker", RABBIT_MANAGEMENT_URL, "--json");
    expect(diff.code, diff.stdout).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ drift: false });
  });

  it("Redis: the designed partitioned stream is published to and consumed through the spec; no drift", async () => {
    const name = `events-${id()}`;
    const { dir, spec } = await design([
      `name: ${name}`,
      "rate: 5000",
      "durability: best-effort",
      "ordering: per-key",
      "groups: [projector]",
      "brokers: [redis]",
    ]);
    const prefix = `mqa-existing-${id()}`;
    prefixes.push(prefix);
    const redis = spec["redis"] as { keyPrefix: string; streams: Array<{ partitions: number }> };
    redis.keyPrefix = prefix;
    expect(redis.streams[0]!.partitions).toBeGreaterThan(1);
    const file = join(dir, "topology.yaml");
    await writeFile(file, stringify(spec));

    const apply = await mqa("topology", "apply", file, "--broker", REDIS_URL);
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    const pub = await mqa(
      "publish",
      "--broker",
      REDIS_URL,
      "--spec",
      file,
      "--topic",
      name,
      "--key",
      "k1",
      '{"n":1}',
    );
    expect(pub.code, pub.stderr).toBe(0);
    const got = await mqa(
      "consume",
      "--broker",
      REDIS_URL,
      "--spec",
      file,
      "--topic",
      name,
      "--group",
      "projector",
      "--count",
      "1",
    );
    expect(got.code, got.stderr).toBe(0);
    expect(lines(got.stdout)[0]).toMatchObject({ group: "projector", key: "k1", payload: { n: 1 } });
    const diff = await mqa("topology", "diff", file, "--broker", REDIS_URL, "--json");
    expect(diff.code, diff.stdout).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ drift: false });
  });
});

describe("resources other services own, by name", () => {
  it("RabbitMQ: publish to an exchange with a routing key and to a queue; consume a queue as it is", async () => {
    const exchange = `legacy-x-${id()}`;
    const queue = `legacy-q-${id()}`;
    exchanges.push(exchange);
    queues.push(queue);
    const model = await amqplib.connect(AMQP_URL);
    const ch = await model.createChannel();
    await ch.assertExchange(exchange, "direct", { durable: true });
    await ch.assertQueue(queue, {
      durable: true,
      arguments: { "x-message-ttl": 600_000, "x-max-length": 100 },
    });
    await ch.bindQueue(queue, exchange, "invoice.created");
    await model.close();

    const viaExchange = await mqa(
      "publish",
      "--broker",
      AMQP_URL,
      "--exchange",
      exchange,
      "--routing-key",
      "invoice.created",
      '{"n":1}',
    );
    expect(viaExchange.code, viaExchange.stderr).toBe(0);
    const wrongKey = await mqa(
      "publish",
      "--broker",
      AMQP_URL,
      "--exchange",
      exchange,
      "--routing-key",
      "x",
      "{}",
    );
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain("[unroutable]");
    const viaQueue = await mqa("publish", "--broker", AMQP_URL, "--queue", queue, '{"n":2}');
    expect(viaQueue.code, viaQueue.stderr).toBe(0);

    const got = await mqa("consume", "--broker", AMQP_URL, "--queue", queue, "--count", "2");
    expect(got.code, got.stderr).toBe(0);
    expect(lines(got.stdout).map((l) => l["payload"])).toEqual([{ n: 1 }, { n: 2 }]);
    expect(got.stderr).toContain("cannot read its arguments");
    // Nothing was built around the queue: no dead-letter queue of mqa's.
    const check = await amqplib.connect(AMQP_URL);
    const c2 = await check.createChannel();
    c2.on("error", () => undefined);
    await expect(c2.checkQueue(`${queue}.dlq`)).rejects.toThrow(/NOT_FOUND/);
    await check.close().catch(() => undefined);

    const bad = await mqa("consume", "--broker", AMQP_URL, "--queue", `missing-${id()}`, "--count", "1");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not exist on the broker.*\[not-found\]/s);
    const mixed = await mqa("consume", "--broker", REDIS_URL, "--queue", queue);
    expect(mixed.stderr).toContain("--queue is for RabbitMQ (amqp://) brokers");
  });

  it("RabbitMQ: what the spec uses as it is is never planned for deletion, not even with --prune", async () => {
    const vhost = `mqa-existing-${id()}`;
    vhosts.push(vhost);
    const api = new URL(RABBIT_MANAGEMENT_URL);
    const auth = `Basic ${Buffer.from(`${api.username}:${api.password}`).toString("base64")}`;
    const put = await fetch(`${api.origin}/api/vhosts/${encodeURIComponent(vhost)}`, {
      method: "PUT",
      headers: { authorization: auth },
    });
    expect(put.ok).toBe(true);
    const model = await amqplib.connect(`${AMQP_URL}/${encodeURIComponent(vhost)}`);
    const ch = await model.createChannel();
    await ch.assertExchange("shop.events", "topic", { durable: true });
    await ch.assertQueue("billing.orders", { durable: true, arguments: { "x-queue-type": "classic" } });
    await ch.bindQueue("billing.orders", "shop.events", "order.*");
    await model.close();
    const dir = await mkdtemp(join(tmpdir(), "mqa-existing-"));
    const file = join(dir, "topology.yaml");
    await writeFile(
      file,
      stringify({
        version: 1,
        rabbitmq: {
          maxRetryDelay: "1s",
          vhosts: [{ name: vhost }],
          topics: [
            {
              name: "orders",
              vhost,
              exchange: "shop.events",
              existing: true,
              groups: [{ name: "billing", queue: "billing.orders", existing: true }],
            },
          ],
        },
      }),
    );
    const apply = await mqa("topology", "apply", file, "--broker", RABBIT_MANAGEMENT_URL, "--prune");
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).not.toMatch(/- (exchange|queue) .*(shop\.events|billing\.orders)\b(?!\.dlq)/);
    const diff = await mqa("topology", "diff", file, "--broker", RABBIT_MANAGEMENT_URL, "--json");
    expect(diff.code, diff.stdout).toBe(0);
    const check = await amqplib.connect(`${AMQP_URL}/${encodeURIComponent(vhost)}`);
    const c2 = await check.createChannel();
    await c2.checkExchange("shop.events");
    await c2.checkQueue("billing.orders");
    // The owner's binding is still there: a message routed by it arrives.
    c2.publish("shop.events", "order.created", Buffer.from("{}"));
    const { waitFor } = await import("../src/brokers/local/wait.js");
    await waitFor(async () => (await c2.get("billing.orders", { noAck: true })) !== false, 5000, "routed");
    await check.close();
  });

  it("Redis: consume another producer's stream in its own field layout", async () => {
    const key = `orders-${id()}`;
    keys.push(key);
    streamKeys.push(key);
    const redis = new Redis(REDIS_URL);
    await redis.xadd(key, "*", "data", '{"orderId":"o-1"}', "type", "order.created");
    const got = await mqa(
      "consume",
      "--broker",
      REDIS_URL,
      "--stream",
      key,
      "--group",
      "billing",
      "--payload-field",
      "data",
      "--count",
      "1",
    );
    expect(got.code, got.stderr).toBe(0);
    expect(lines(got.stdout)[0]).toMatchObject({
      group: "billing",
      payload: { orderId: "o-1" },
      headers: { type: "order.created" },
    });
    // The group was created on their stream; mqa's own keys for it are separate ones.
    const groups = (await redis.xinfo("GROUPS", key)) as unknown[][];
    expect(groups.map((g) => g[1])).toContain("billing");
    const mine = await redis.keys(`mqa:*${key}*`);
    keys.push(...mine);
    expect(mine.every((k) => k !== key)).toBe(true);
    redis.disconnect();
  });
});

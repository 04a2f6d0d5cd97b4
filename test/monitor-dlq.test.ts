/**
 * `mqa monitor` and dead letters (issue 11): each dead-letter queue names the exact `mqa dlq` commands for
 * its topic and group, never with a password, and on Redis shows its dead letters by reason (read-only).
 * On the real Redis and RabbitMQ; each test fills a DLQ of its own and removes it. The commands are also
 * run, through the built CLI, to show they are the right ones.
 */
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../src/brokers/local/wait.js";
import { connectRedisAdmin } from "../src/brokers/redis-admin.js";
import { Headers } from "../src/core/message.js";
import { evaluate } from "../src/monitor/alerts.js";
import { dlqCommands, redisDlqAddress, shellWord, withoutPassword } from "../src/monitor/dlq-commands.js";
import { RABBIT_REASONS_NOTE, RabbitSampler } from "../src/monitor/rabbitmq.js";
import { RedisSampler } from "../src/monitor/redis.js";
import type { QueueStatus, Snapshot } from "../src/monitor/snapshot.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { AMQP_URL, testTopics } from "./support/amqp.js";
import { mqaWithEnv } from "./support/cli.js";
import { RABBIT_MANAGEMENT_URL, REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const dead = (reason: string, n: number): { payload: Uint8Array; headers: Record<string, string> }[] =>
  Array.from({ length: n }, (_, i) => ({
    payload: Buffer.from(`dead ${reason} ${i}`),
    headers: { [Headers.deadLetterReason]: reason },
  }));

/** Run a printed command (`mqa dlq …`, plain words) through the built CLI, the password in the environment. */
function run(command: string, password?: string): ReturnType<typeof mqaWithEnv> {
  const words = command.split(" ");
  expect(words.slice(0, 2)).toEqual(["mqa", "dlq"]);
  return mqaWithEnv(password ? { MQA_BROKER_PASSWORD: password } : {}, ...words.slice(1));
}

describe("dead-letter commands, from mqa's names", () => {
  it("tells topic and group of a Redis DLQ stream, partitions and escapes included", () => {
    expect(redisDlqAddress("mqa:{orders}:dlq:billing")).toEqual({
      address: { topic: "orders", group: "billing" },
    });
    expect(redisDlqAddress("mqa:{shop.orders#3}:dlq:billing")).toEqual({
      address: { topic: "shop.orders", group: "billing" },
    });
    expect(redisDlqAddress("mqa:{a%23b%20c}:dlq:x%7By")).toEqual({
      address: { topic: "a#b c", group: "x{y" },
    });
    expect(redisDlqAddress("app:{orders}:dlq:billing")).toMatchObject({ reason: /key prefix 'app'/ });
    expect(redisDlqAddress("mqa:{eu}:key:shop%7Beu%7D:orders:dlq:g")).toMatchObject({
      reason: /names its own stream key/,
    });
  });

  it("quotes what a shell would split, drops passwords, and says why when it needs placeholders", () => {
    expect(shellWord("orders")).toBe("orders");
    expect(shellWord("it's here")).toBe(`'it'\\''s here'`);
    expect(withoutPassword("redis://user:s3cret@host:6379/2")).toBe("redis://user@host:6379/2");
    const c = dlqCommands("redis://host:6379", undefined, "why");
    expect(c.stats).toBe(
      "mqa dlq stats --broker redis://host:6379 --spec <spec file> --topic <topic> --group <group>",
    );
    expect(c.note).toBe("why");
  });
});

describe("mqa monitor on Redis: dead letters by reason", () => {
  const topic = uniqueName("mon.reasons");
  afterAll(() => cleanupRedis(`mqa:{${topic}}`));

  it("counts both reasons, names the exact commands without the password, and the commands work", async () => {
    const t = createRedisTransport({ url: REDIS_URL });
    try {
      await t.declare({ topic, group: "billing" });
      for (const m of [...dead("max-attempts", 3), ...dead("invalid-payload", 2)])
        await t.appendDeadLetter(topic, "billing", m);
    } finally {
      await t.close();
    }
    const url = new URL(REDIS_URL);
    const sampler = new RedisSampler(REDIS_URL, { match: `mqa:{${topic}}*` });
    let snapshot: Snapshot;
    try {
      snapshot = await sampler.sample();
      // Sampling twice reads nothing new and changes nothing: same length, same entries.
      const again = await sampler.sample();
      expect(again.queues.find((q) => q.role === "dead-letter")?.deadLetters).toEqual(
        snapshot.queues.find((q) => q.role === "dead-letter")?.deadLetters,
      );
    } finally {
      await sampler.close();
    }
    const dlq = snapshot.queues.find((q) => q.role === "dead-letter")!;
    expect(dlq).toMatchObject({ scope: `mqa:{${topic}}:dlq:billing`, backlog: 5 });
    const broker = `redis://${url.host}`;
    expect(dlq.deadLetters).toEqual({
      commands: {
        stats: `mqa dlq stats --broker ${broker} --topic ${topic} --group billing`,
        redrive: `mqa dlq redrive --broker ${broker} --topic ${topic} --group billing`,
      },
      byReason: [
        { reason: "max-attempts", count: 3 },
        { reason: "invalid-payload", count: 2 },
      ],
      sampled: 5,
    });
    const admin = await connectRedisAdmin(REDIS_URL);
    try {
      expect(await admin.call("XLEN", dlq.scope)).toBe(5);
      expect(await admin.call("XINFO", "GROUPS", dlq.scope)).toEqual([]); // no group was created to read
    } finally {
      await admin.close();
    }

    const alert = evaluate(snapshot, undefined).find((a) => a.resource === dlq.scope)!;
    expect(alert.kind).toBe("dead-letters-present");
    expect(alert.message).toBe(
      `mqa:{${topic}}:dlq:billing holds 5 dead letters (by reason, newest 5: max-attempts 3, invalid-payload 2)`,
    );
    expect(alert.fix).toContain(`see why with ${dlq.deadLetters!.commands.stats};`);
    expect(alert.fix).toContain(`then ${dlq.deadLetters!.commands.redrive}`);

    // The CLI's report carries the same: in the alert of the text report, as fields of the JSON one.
    const text = await mqaWithEnv({}, "monitor", REDIS_URL, "--match", `mqa:{${topic}}*`, "--once");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("by reason, newest 5: max-attempts 3, invalid-payload 2");
    expect(text.stdout).toContain(
      `fix: a DLQ nobody reads is a silent loss: see why with ${dlq.deadLetters!.commands.stats};`,
    );
    const json = await mqaWithEnv({}, "monitor", REDIS_URL, "--match", `mqa:{${topic}}*`, "--once", "--json");
    const report = JSON.parse(json.stdout) as { queues: QueueStatus[] };
    expect(report.queues.find((q) => q.role === "dead-letter")?.deadLetters).toEqual(dlq.deadLetters);

    const stats = await run(dlq.deadLetters!.commands.stats);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/5 dead letter\(s\)/);
    expect(stats.stdout).toMatch(/3 {2}max-attempts/);
  });

  it("never puts the password of the monitor's URL into a command", async () => {
    const withSecret = "redis://watcher:s3cret-pw@127.0.0.1:1";
    const named = redisDlqAddress("mqa:{o}:dlq:g");
    const commands = dlqCommands(withoutPassword(withSecret), "address" in named ? named.address : undefined);
    expect(JSON.stringify(commands)).not.toContain("s3cret-pw");
    expect(commands.stats).toBe("mqa dlq stats --broker redis://watcher@127.0.0.1:1 --topic o --group g");
  });
});

describe("mqa monitor on RabbitMQ: dead letters are counted, never read", () => {
  const topicOf = testTopics("mon.reasons", ["billing"]);

  it("names the exact amqp:// commands for a dotted topic, without the password, and reads no message", async () => {
    const topic = topicOf(); // `mon.reasons-…`: a dot inside the topic, so the split must come from the bindings
    const t = createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000 });
    try {
      await t.declare({ topic, group: "billing" });
      for (const m of [...dead("max-attempts", 2), ...dead("invalid-payload", 1)])
        await t.appendDeadLetter(topic, "billing", m);
    } finally {
      await t.close();
    }
    const name = `${topic}.billing.dlq`;
    const sampler = new RabbitSampler(RABBIT_MANAGEMENT_URL);
    let dlq: QueueStatus | undefined;
    let snapshot: Snapshot | undefined;
    await waitFor(
      async () => {
        snapshot = await sampler.sample();
        dlq = snapshot.queues.find((q) => q.name === name);
        return dlq?.backlog === 3;
      },
      30_000,
      "the management API to report the dead letters",
    );
    const amqp = new URL(AMQP_URL);
    const broker = `amqp://${amqp.username}@${amqp.hostname}:${amqp.port || 5672}`;
    expect(dlq!.deadLetters).toEqual({
      commands: {
        stats: `mqa dlq stats --broker ${broker} --topic ${topic} --group billing`,
        redrive: `mqa dlq redrive --broker ${broker} --topic ${topic} --group billing`,
      },
      reasonsNote: RABBIT_REASONS_NOTE,
    });
    expect(JSON.stringify(snapshot)).not.toContain(`:${new URL(RABBIT_MANAGEMENT_URL).password}@`);
    const alert = evaluate(snapshot!, undefined).find((a) => a.resource === name)!;
    expect(alert.message).toBe(`${name} holds 3 dead letters`);
    expect(alert.fix).toContain(`see why with ${dlq!.deadLetters!.commands.stats};`);

    // The monitor took nothing off the queue: nothing was ever delivered from it.
    const { default: amqplib } = await import("amqplib");
    const conn = await amqplib.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      expect((await ch.checkQueue(name)).messageCount).toBe(3);
    } finally {
      await conn.close();
    }

    const stats = await run(dlq!.deadLetters!.commands.stats, decodeURIComponent(amqp.password));
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/3 dead letter\(s\)/);
    expect(stats.stdout).toMatch(/2 {2}max-attempts/);
    expect(stats.stdout).toMatch(/1 {2}invalid-payload/);
  }, 60_000);
});

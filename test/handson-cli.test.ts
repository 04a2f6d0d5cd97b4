/**
 * `mqa publish`, `mqa consume` and `mqa tail` round trips on each real broker, as separate processes
 * (the way a person pokes at a queue). memory:// lives inside one process, so it has no round trip
 * across commands; its publish path is covered by the CLI's own tests.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { removeTopic } from "../src/cleanup/remove-topic.js";
import { mqa, mqaWithInput } from "./support/cli.js";

const bin = new URL("../bin/mqa.js", import.meta.url).pathname;

/** Start `mqa tail`; resolves once it is following, with a promise of its output. */
async function startTail(
  broker: string,
  topic: string,
  count: number,
  where: readonly string[] = ["--topic", topic],
): Promise<{ out: Promise<string>; err: () => string }> {
  const child = spawn(process.execPath, [
    bin,
    "tail",
    "--broker",
    broker,
    ...where,
    "--count",
    String(count),
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  const out = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tail did not finish: ${stderr}`));
    }, 30_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(stdout);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
      if (stderr.includes("following")) resolve();
    });
    child.once("exit", () => reject(new Error(`tail exited early: ${stderr}`)));
  });
  return { out, err: () => stderr };
}

const lines = (text: string): Array<Record<string, unknown>> =>
  text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

for (const broker of [
  process.env["MQA_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
  "redis://127.0.0.1:6379",
]) {
  describe(`publish / consume / tail on ${broker.split(":")[0]}://`, () => {
    const topics: string[] = [];
    afterAll(async () => {
      for (const t of topics) await removeTopic(broker, t, ["workers", "g"]);
    });
    it("round-trips messages with key and headers, tail sees them without taking them from the group", async () => {
      const topic = `mqa.handson.${randomBytes(4).toString("hex")}`;
      topics.push(topic);
      // Declare the group first, so the topic exists for tail and messages are routable.
      const first = await mqa(
        "publish",
        "--broker",
        broker,
        "--topic",
        topic,
        "--declare",
        "workers",
        "--key",
        "k1",
        "--header",
        "source=test",
        '{"n":1}',
      );
      expect(first.code, first.stderr).toBe(0);
      expect(lines(first.stdout)[0]).toMatchObject({ topic, confirmed: true });

      const tail = await startTail(broker, topic, 2);
      expect(tail.err()).not.toContain("guest:guest");
      const stdin = await mqaWithInput(
        '{"n":2}\nplain text\n',
        "publish",
        "--broker",
        broker,
        "--topic",
        topic,
        "-",
      );
      expect(stdin.code, stdin.stderr).toBe(0);
      expect(lines(stdin.stdout).map((l) => l["confirmed"])).toEqual([true, true]);

      const tailed = lines(await tail.out);
      expect(tailed.map((m) => m["payload"])).toEqual([{ n: 2 }, "plain text"]);

      // The group still has all three: tail took nothing from it.
      const consumed = await mqa(
        "consume",
        "--broker",
        broker,
        "--topic",
        topic,
        "--group",
        "workers",
        "--count",
        "3",
      );
      expect(consumed.code, consumed.stderr).toBe(0);
      const got = lines(consumed.stdout);
      expect(
        got.map((m) => m["payload"]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      ).toEqual(["plain text", { n: 1 }, { n: 2 }]);
      const one = got.find((m) => JSON.stringify(m["payload"]) === '{"n":1}') as Record<string, unknown>;
      expect(one).toMatchObject({
        key: "k1",
        group: "workers",
        contentType: "application/json",
        payloadEncoding: "json",
      });
      expect((one["headers"] as Record<string, string>)["source"]).toBe("test");
    }, 60_000);

    it("--no-ack hands messages back to the group", async () => {
      const topic = `mqa.handson.${randomBytes(4).toString("hex")}`;
      topics.push(topic);
      const pub = await mqa("publish", "--broker", broker, "--topic", topic, "--declare", "g", '"once"');
      expect(pub.code, pub.stderr).toBe(0);
      const peek = await mqa(
        "consume",
        "--broker",
        broker,
        "--topic",
        topic,
        "--group",
        "g",
        "--count",
        "1",
        "--no-ack",
      );
      expect(peek.code, peek.stderr).toBe(0);
      expect(lines(peek.stdout)[0]).toMatchObject({ payload: "once" });
      const take = await mqa("consume", "--broker", broker, "--topic", topic, "--group", "g", "--count", "1");
      expect(take.code, take.stderr).toBe(0);
      expect(lines(take.stdout)[0]).toMatchObject({ payload: "once" });
    }, 60_000);
  });
}

describe("tail on resources other services own", () => {
  it("follows a headers exchange as it is, whatever the headers", async () => {
    const { default: amqplib } = await import("amqplib");
    const broker = process.env["MQA_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672";
    const exchange = `legacy-h-${randomBytes(4).toString("hex")}`;
    const model = await amqplib.connect(broker);
    const ch = await model.createConfirmChannel();
    try {
      await ch.assertExchange(exchange, "headers", { durable: false, autoDelete: false });
      const tail = await startTail(broker, exchange, 2, ["--exchange", exchange]);
      expect(tail.err()).toContain(`exchange ${exchange}`);
      ch.publish(exchange, "", Buffer.from('{"n":1}'), { headers: { type: "a" } });
      ch.publish(exchange, "", Buffer.from('{"n":2}'), { headers: { region: "eu" } });
      await ch.waitForConfirms();
      expect(lines(await tail.out).map((l) => l["payload"])).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await ch.deleteExchange(exchange);
      await model.close();
    }
  });

  it("follows another producer's stream in its own field layout", async () => {
    const { Redis } = await import("ioredis");
    const key = `legacy-s-${randomBytes(4).toString("hex")}`;
    const redis = new Redis("redis://127.0.0.1:6379");
    try {
      const tail = await startTail("redis://127.0.0.1:6379", key, 1, [
        "--stream",
        key,
        "--payload-field",
        "body",
      ]);
      await redis.xadd(key, "*", "body", '{"n":7}', "kind", "demo");
      expect(lines(await tail.out)[0]).toMatchObject({ payload: { n: 7 }, headers: { kind: "demo" } });
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});

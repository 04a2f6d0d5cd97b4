import { describe, expect, it } from "vitest";
import { KeyLanes } from "./per-key.js";
import { Router } from "./router.js";
import { InvalidOptionsError } from "./errors.js";
import { waitFor } from "../testing/mod.js";
import { retry } from "../middleware/retry.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";

describe("KeyLanes", () => {
  it("runs one key's work in call order, one at a time, and a failure does not stop the lane", async () => {
    const lanes = new KeyLanes();
    const log: string[] = [];
    let release: () => void = () => undefined;
    const first = lanes.run("a", async () => {
      log.push("a1 start");
      await new Promise<void>((r) => (release = r));
      log.push("a1 end");
      throw new Error("a1 failed");
    });
    const second = lanes.run("a", async () => {
      log.push("a2");
    });
    const other = lanes.run("b", async () => {
      log.push("b1");
    });
    await other;
    expect(log).toEqual(["a1 start", "b1"]); // b did not wait for a; a2 did
    release();
    await expect(first).rejects.toThrow("a1 failed");
    await second;
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
    await waitFor(() => lanes.activeKeys === 0, 1000, "lanes emptied");
  });
});

describe("Router order: per-key", () => {
  it("rejects keyOf without order: per-key, saying what it needs", async () => {
    const t = await memoryTransport();
    expect(() =>
      new Router(t).handle({ topic: "t", group: "g", keyOf: (m) => m.key, handler: () => undefined }),
    ).toThrow(/keyOf needs order: "per-key"/);
    expect(() =>
      new Router(t).handle({
        topic: "t",
        group: "g",
        order: "by-key" as "per-key",
        handler: () => undefined,
      }),
    ).toThrow(InvalidOptionsError);
  });

  it("orders by keyOf when given (a key read from the payload)", async () => {
    const t = await memoryTransport();
    const topic = topicName("keyof");
    await t.declare({ topic, group: "g" });
    for (let i = 0; i < 30; i++)
      await t.publish(topic, { ...asJson, payload: json({ account: `acc${i % 3}`, i }) });
    const running = new Map<string, number>();
    const seen = new Map<string, number[]>();
    let maxPerKey = 0;
    let done = 0;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      prefetch: 10,
      order: "per-key",
      keyOf: (m) => (JSON.parse(new TextDecoder().decode(m.payload)) as { account: string }).account,
      handler: async (p) => {
        const { account, i } = p as { account: string; i: number };
        running.set(account, (running.get(account) ?? 0) + 1);
        maxPerKey = Math.max(maxPerKey, running.get(account) ?? 0);
        seen.set(account, [...(seen.get(account) ?? []), i]);
        await new Promise((r) => setTimeout(r, 2));
        running.set(account, (running.get(account) ?? 1) - 1);
        done++;
      },
    });
    await router.start();
    await waitFor(() => done === 30, 5000, "all handled");
    await router.stop();
    expect(maxPerKey).toBe(1);
    for (const [account, seq] of seen) {
      const n = Number(account.slice(3));
      expect(seq).toEqual(Array.from({ length: 10 }, (_, j) => n + 3 * j));
    }
  });

  it("a retried message goes back to the broker and its key's later messages go on without it", async () => {
    const t = await memoryTransport();
    const topic = topicName("perkey-retry");
    await t.declare({ topic, group: "g" });
    for (let i = 0; i < 4; i++) await t.publish(topic, { key: "k", ...asJson, payload: json({ i }) });
    const order: string[] = [];
    const router = new Router(t, { middleware: [retry({ attempts: 3, baseMs: 0, jitter: "none" })] });
    router.handle({
      topic,
      group: "g",
      prefetch: 4,
      order: "per-key",
      handler: async (p, ctx) => {
        const { i } = p as { i: number };
        order.push(`${i}@${ctx.message.attempt}`);
        if (i === 1 && ctx.message.attempt === 1) throw new Error("transient");
      },
    });
    await router.start();
    await waitFor(() => order.length === 5, 5000, "four messages and one retry");
    await router.stop();
    // Message 1 failed once and came back after 2 and 3: the documented trade-off (docs/ordering.md).
    expect(order).toEqual(["0@1", "1@1", "2@1", "3@1", "1@2"]);
  });

  it("runs messages without a key unordered, side by side", async () => {
    const t = await memoryTransport();
    const topic = topicName("perkey-nokey");
    await t.declare({ topic, group: "g" });
    for (let i = 0; i < 6; i++) await t.publish(topic, { ...asJson, payload: json({ i }) });
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      prefetch: 6,
      order: "per-key",
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        done++;
      },
    });
    await router.start();
    await waitFor(() => done === 6, 5000, "all handled");
    await router.stop();
    expect(maxRunning).toBeGreaterThan(1);
  });

  it("dead-letters a message whose keyOf throws, once, instead of looping", async () => {
    const t = await memoryTransport();
    const topic = topicName("perkey-keyof-error");
    let calls = 0;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      order: "per-key",
      keyOf: () => {
        calls++;
        throw new Error("no account field");
      },
      handler: () => undefined,
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    await router.stop();
    expect(calls).toBe(1);
    expect((await t.readDeadLetters(topic, "g"))[0]?.reason).toBe("handler-error");
  });
});

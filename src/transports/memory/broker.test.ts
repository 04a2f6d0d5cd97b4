import { describe, expect, it } from "vitest";
import { MemoryBroker } from "./broker.js";
import { MemoryTransport } from "./transport.js";
import type { Delivery } from "../../core/transport.js";
import { UnroutableError } from "../../core/errors.js";
import { waitFor } from "../../testing/mod.js";

const bytes = new Uint8Array([1]);

describe("memory broker", () => {
  it("rejects publishes to a topic without groups instead of dropping them", async () => {
    const t = new MemoryTransport({ broker: new MemoryBroker() });
    await expect(t.publish("nobody-listens", { payload: bytes })).rejects.toBeInstanceOf(UnroutableError);
  });

  it("never holds more unsettled deliveries than the prefetch", async () => {
    const t = new MemoryTransport({ broker: new MemoryBroker() });
    await t.declare({ topic: "p", group: "g" });
    const held: Delivery[] = [];
    await t.subscribe(
      "p",
      "g",
      async (d) => {
        held.push(d);
        await new Promise(() => undefined); // settled from outside
      },
      { prefetch: 3 },
    );
    for (let i = 0; i < 10; i++) await t.publish("p", { payload: bytes });
    await waitFor(() => held.length === 3, 2000, "three deliveries");
    await new Promise((r) => setTimeout(r, 30));
    expect(held.length).toBe(3);
    await held[0]?.ack();
    await waitFor(() => held.length === 4, 2000, "a fourth after one ack");
  });

  it("redelivers a delivery its handler returned without settling, up to the delivery limit", async () => {
    const broker = new MemoryBroker({ deliveryLimit: 5 });
    const t = new MemoryTransport({ broker });
    await t.declare({ topic: "unsettled", group: "g" });
    const attempts: number[] = [];
    await t.subscribe("unsettled", "g", async (d) => void attempts.push(d.message.attempt));
    await t.publish("unsettled", { payload: bytes });
    await waitFor(async () => (await t.readDeadLetters("unsettled", "g")).length === 1, 2000, "dead letter");
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
  });

  it("dead-letters a message that keeps crashing its consumers (delivery limit)", async () => {
    const broker = new MemoryBroker({ deliveryLimit: 3 });
    for (let i = 0; i < 4; i++) {
      const t = new MemoryTransport({ broker });
      await t.declare({ topic: "crash", group: "g" });
      if (i === 0) await t.publish("crash", { id: "poison", payload: bytes });
      let got = false;
      await t.subscribe("crash", "g", async () => {
        got = true;
        await new Promise(() => undefined);
      });
      if (i < 3) {
        await waitFor(() => got, 2000, `delivery ${i + 1}`);
        await t.abort();
      } else {
        await waitFor(async () => (await t.readDeadLetters("crash", "g")).length === 1, 2000, "dead letter");
        expect((await t.readDeadLetters("crash", "g"))[0]?.reason).toBe("delivery-limit");
      }
    }
  });

  it("drops settlements from a consumer that was lost, like an ack on a dead channel", async () => {
    const broker = new MemoryBroker();
    const t = new MemoryTransport({ broker });
    await t.declare({ topic: "stale", group: "g" });
    let held: Delivery | undefined;
    await t.subscribe("stale", "g", async (d) => {
      held = d;
      await new Promise(() => undefined);
    });
    await t.publish("stale", { payload: bytes });
    await waitFor(() => held !== undefined, 2000, "delivery");
    await t.abort();
    await held?.ack(); // must not remove the message: it was already returned to the queue
    const t2 = new MemoryTransport({ broker });
    const again: number[] = [];
    await t2.subscribe("stale", "g", async (d) => {
      again.push(d.message.attempt);
      await d.ack();
    });
    await waitFor(() => again.length === 1, 2000, "redelivery");
    expect(again).toEqual([2]);
  });

  it("keeps at most deadLetterLimit dead letters per group, dropping the oldest and counting them", async () => {
    const broker = new MemoryBroker({ deadLetterLimit: 2 });
    const t = new MemoryTransport({ broker });
    await t.declare({ topic: "dlq-cap", group: "g" });
    let seen = 0;
    await t.subscribe("dlq-cap", "g", async (d) => {
      seen++;
      await d.deadLetter({ reason: "handler-error" });
    });
    for (const id of ["m1", "m2", "m3"]) await t.publish("dlq-cap", { id, payload: bytes });
    await waitFor(() => seen === 3, 2000, "three dead letters");
    const queue = broker.group("dlq-cap", "g")!;
    expect(queue.deadLettersDropped).toBe(1);
    expect((await t.readDeadLetters("dlq-cap", "g")).map((d) => d.message.id)).toEqual(["m2", "m3"]);
    await t.close();
    broker.dispose();
  });

  it.each([
    ["retry() with its default delayMs 0", {}],
    ["retry({ countAttempt: false })", { countAttempt: false }],
  ])("yields to the event loop while a handler retries forever: %s", async (_, options) => {
    const broker = new MemoryBroker();
    const t = new MemoryTransport({ broker });
    await t.declare({ topic: "spin", group: "g" });
    // Bounded so that, were delivery to spin without yielding, the test fails instead of exhausting the heap.
    const retries = 20_000;
    let deliveries = 0;
    let running = 0;
    let mostRunning = 0;
    let deliveriesWhenTimerFired: number | undefined;
    setTimeout(() => (deliveriesWhenTimerFired = deliveries), 0);
    await t.subscribe(
      "spin",
      "g",
      async (d) => {
        deliveries++;
        running++;
        mostRunning = Math.max(mostRunning, running);
        if (deliveries < retries) await d.retry(options);
        else await d.ack();
        running--;
      },
      { prefetch: 4 },
    );
    await t.publish("spin", { payload: bytes });
    await waitFor(() => deliveries === retries, 20_000, "every retry delivered");
    // A timer set before the first delivery fired early on, not after the handler stopped retrying.
    expect(deliveriesWhenTimerFired).toBeDefined();
    expect(deliveriesWhenTimerFired!).toBeLessThan(retries);
    // Handlers never pile up (the heap stays flat): one message, so at most one handler at a time.
    expect(mostRunning).toBe(1);
    const depth = broker.group("spin", "g")!.depth;
    expect(depth.ready + depth.unacked + depth.delayed).toBe(0);
    await t.close();
    broker.dispose();
  });

  it("hands a backlog out in bounded rounds, even to handlers that ack at once", async () => {
    const broker = new MemoryBroker();
    const t = new MemoryTransport({ broker });
    await t.declare({ topic: "burst", group: "g" });
    for (let i = 0; i < 2000; i++) await t.publish("burst", { payload: bytes });
    let delivered = 0;
    // Each ack frees its prefetch slot at once: without a cap one round would deliver all 2000.
    await t.subscribe("burst", "g", (d) => {
      delivered++;
      return d.ack();
    });
    // This immediate runs right after the first dispatch round (queued after it, in the same loop phase).
    await new Promise((r) => setImmediate(r));
    expect(delivered).toBe(512);
    await waitFor(() => delivered === 2000, 5000, "the whole backlog");
    await t.close();
    broker.dispose();
  });

  it("removes a named broker from the process-wide registry when it is disposed", async () => {
    const name = `registry-${Math.random().toString(36).slice(2)}`;
    const first = MemoryBroker.named(name);
    expect(MemoryBroker.named(name)).toBe(first);
    first.dispose();
    const second = MemoryBroker.named(name);
    expect(second).not.toBe(first);
    second.dispose();
  });
});

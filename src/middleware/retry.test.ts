import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import { UnrecoverableError } from "../core/errors.js";
import { Headers } from "../core/message.js";
import type { MessageContext } from "../core/context.js";
import type { Delivery, RetryOptions } from "../core/transport.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { deadLetter } from "./dead-letter.js";
import { retry, RETRIES_EXHAUSTED } from "./retry.js";

describe("retry middleware", () => {
  it("retries a failing handler until it succeeds, counting attempts and stamping failure times", async () => {
    const t = await memoryTransport();
    const topic = topicName("retry");
    const seen: Array<{ attempt: number; first?: string }> = [];
    const router = new Router(t, {
      middleware: [deadLetter(), retry({ attempts: 5, baseMs: 5, maxMs: 20 })],
    });
    router.handle({
      topic,
      group: "g",
      handler: async (_p, ctx) => {
        seen.push({ attempt: ctx.message.attempt, first: ctx.message.headers[Headers.firstFailureAt] });
        if (ctx.message.attempt < 3) throw new Error("flaky");
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(() => seen.length === 3, 5000, "three attempts");
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(seen[0]?.first).toBeUndefined();
    expect(seen[1]?.first).toBeDefined();
    expect(seen[2]?.first).toBe(seen[1]?.first); // the first failure time is kept
    expect(await t.readDeadLetters(topic, "g")).toEqual([]);
    await router.stop();
  });

  it("hands the backoff delay to the transport instead of sleeping in the consumer", async () => {
    const calls: RetryOptions[] = [];
    const delivery = {
      message: { attempt: 3, headers: {}, id: "m", topic: "t" },
      group: "g",
      settled: false,
      ack: async () => undefined,
      retry: async (o: RetryOptions) => void calls.push(o),
      deadLetter: async () => undefined,
    } as unknown as Delivery;
    const ctx = {
      delivery,
      message: delivery.message,
      state: {},
      logger: { warn: () => undefined },
    } as unknown as MessageContext;
    const mw = retry({ attempts: 5, baseMs: 100, multiplier: 2, maxMs: 10_000, jitter: "none" });
    await mw(async () => {
      throw new Error("boom");
    })(ctx);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.delayMs).toBe(400); // attempt 3 → third delay: 100·2²
  });

  it("does not retry unrecoverable errors and marks exhausted budgets", async () => {
    const t = await memoryTransport();
    const topic = topicName("unrecoverable");
    let calls = 0;
    const router = new Router(t, { middleware: [deadLetter(), retry({ attempts: 5, baseMs: 1 })] });
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        calls++;
        throw new UnrecoverableError("card number is invalid");
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    expect(calls).toBe(1);
    expect((await t.readDeadLetters(topic, "g"))[0]?.reason).toBe("unrecoverable");
    expect(RETRIES_EXHAUSTED).toBe("retriesExhausted");
    await router.stop();
  });

  it("rejects invalid options with their path", () => {
    expect(() => retry({ attempts: 0 })).toThrow(/attempts/);
    expect(() => retry({ atempts: 3 } as never)).toThrow(/atempts/);
  });
});

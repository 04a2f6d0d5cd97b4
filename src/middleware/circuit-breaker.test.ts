import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import type { MessageContext } from "../core/context.js";
import type { RetryOptions, Subscription } from "../core/transport.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import type { CircuitState } from "./circuit-breaker.js";
import { deadLetter } from "./dead-letter.js";
import { retry } from "./retry.js";

describe("circuit breaker", () => {
  it("opens on a failure ratio, pauses without burning attempts, probes half-open, closes on success", async () => {
    const t = await memoryTransport();
    const topic = topicName("breaker");
    const transitions: string[] = [];
    const breaker = new CircuitBreaker({
      failureRatio: 0.5,
      minimumCalls: 4,
      windowSize: 4,
      openMs: 150,
      onStateChange: (s: CircuitState, p: CircuitState) => transitions.push(`${p}->${s}`),
    });
    let downstreamUp = false;
    const handled: number[] = [];
    const attemptsSeen: number[] = [];
    const router = new Router(t, {
      middleware: [deadLetter(), retry({ attempts: 3, baseMs: 1, maxMs: 5 }), breaker.middleware()],
    });
    router.handle({
      topic,
      group: "g",
      prefetch: 1,
      handler: async (p, ctx) => {
        attemptsSeen.push(ctx.message.attempt);
        if (!downstreamUp) throw new Error("downstream 503");
        handled.push((p as { i: number }).i);
      },
    });
    await router.start();
    for (let i = 0; i < 10; i++) await t.publish(topic, { ...asJson, payload: json({ i }) });
    await waitFor(() => breaker.state === "open", 5000, "the breaker to open");
    expect(breaker.trackedSubscriptions).toBe(1); // the route's subscription, paused
    downstreamUp = true;
    await waitFor(() => breaker.state === "closed", 5000, "the breaker to close");
    expect(breaker.trackedSubscriptions).toBe(0); // forgotten once closed: nothing held for good
    await waitFor(
      async () => {
        const dead = (await t.readDeadLetters(topic, "g")).length;
        return handled.length + dead === 10;
      },
      5000,
      "all messages settled",
    );
    expect(transitions.slice(0, 3)).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
    // Only the calls before the breaker opened spent attempts: far fewer dead letters than messages.
    expect((await t.readDeadLetters(topic, "g")).length).toBeLessThanOrEqual(1);
    expect(handled.length).toBeGreaterThanOrEqual(9);
    breaker.dispose();
    await router.stop();
  });

  it("reopens when the half-open probe fails", async () => {
    const t = await memoryTransport();
    const topic = topicName("breaker2");
    const transitions: string[] = [];
    const breaker = new CircuitBreaker({
      minimumCalls: 2,
      windowSize: 2,
      openMs: 50,
      onStateChange: (s: CircuitState) => transitions.push(s),
    });
    const router = new Router(t, {
      middleware: [deadLetter(), retry({ attempts: 100, baseMs: 1, maxMs: 2 }), breaker.middleware()],
    });
    router.handle({
      topic,
      group: "g",
      prefetch: 1,
      handler: async () => {
        throw new Error("still down");
      },
    });
    await router.start();
    for (let i = 0; i < 3; i++) await t.publish(topic, { ...asJson, payload: json({ i }) });
    await waitFor(() => transitions.filter((s) => s === "open").length >= 2, 5000, "a second opening");
    expect(transitions.slice(0, 3)).toEqual(["open", "half-open", "open"]);
    breaker.dispose();
    await router.stop({ timeoutMs: 100 });
  });

  it("pauses a subscription it first sees while open, deferring its delivery without an attempt", async () => {
    const breaker = new CircuitBreaker({ minimumCalls: 2, windowSize: 2, openMs: 60_000 });
    const paused: string[] = [];
    const subscription = (name: string): Subscription =>
      ({
        topic: "t",
        group: name,
        pause: async () => void paused.push(name),
        resume: async () => undefined,
        close: async () => undefined,
      }) as Subscription;
    const deferred: RetryOptions[] = [];
    const ctx = (s: Subscription) =>
      ({
        subscription: s,
        message: { id: "m" },
        logger: { debug: () => undefined },
        delivery: { retry: async (o: RetryOptions) => void deferred.push(o) },
      }) as unknown as MessageContext;
    const failing = breaker.middleware()(async () => {
      throw new Error("downstream 503");
    });
    const a = subscription("a");
    for (let i = 0; i < 2; i++) await failing(ctx(a)).catch(() => undefined);
    expect(breaker.state).toBe("open");
    expect(paused).toEqual(["a"]); // the subscription behind the window's calls
    await failing(ctx(subscription("b"))); // deferred, not run: no throw
    expect(paused).toEqual(["a", "b"]);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]?.countAttempt).toBe(false);
    expect(breaker.trackedSubscriptions).toBe(2);
    breaker.dispose();
  });
});

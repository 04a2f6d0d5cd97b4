/** The Router's handler timeout: on by default, per route and router-wide, off by choice. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Router, DEFAULT_HANDLER_TIMEOUT_MS, RETRY_REASON_HEADER, TIMEOUT_RETRY_ATTEMPTS } from "./router.js";
import { Headers } from "./message.js";
import { waitFor } from "../testing/mod.js";
import { retry } from "../middleware/retry.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";

const never = (): Promise<void> => new Promise(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe("Router handler timeout", () => {
  it("frees a hung handler's slot and retries its message with the reason handler-timeout", async () => {
    const t = await memoryTransport();
    const topic = topicName("hung");
    const seen: { id: string; attempt: number; reason: string | undefined }[] = [];
    let aborted = 0;
    const router = new Router(t, { handlerTimeoutMs: 30 });
    router.handle({
      topic,
      group: "g",
      prefetch: 1,
      handler: async (_p, ctx) => {
        const m = ctx.message;
        seen.push({ id: m.id, attempt: m.attempt, reason: m.headers[RETRY_REASON_HEADER] });
        ctx.signal.addEventListener("abort", () => aborted++);
        if (m.id === "hangs" && m.attempt === 1) await never();
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, id: "hangs", payload: json({}) });
    await t.publish(topic, { ...asJson, id: "next", payload: json({}) });
    // prefetch 1: "next" can only be handled because the hung handler's slot was freed.
    await waitFor(() => seen.length === 3, 10_000, "the next message and the retry");
    expect(seen).toContainEqual({ id: "next", attempt: 1, reason: undefined });
    expect(seen).toContainEqual({ id: "hangs", attempt: 2, reason: "handler-timeout" });
    expect(aborted).toBe(1);
    expect(await t.readDeadLetters(topic, "g")).toEqual([]);
    await router.stop({ timeoutMs: 10 });
  });

  it("is on by default (60 s) and dead-letters as handler-timeout after a few attempts, never a loop", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const t = await memoryTransport();
    const topic = topicName("default");
    let calls = 0;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        calls++;
        await never();
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    for (let i = 0; i < 100 && (await t.readDeadLetters(topic, "g")).length === 0; i++) {
      await vi.advanceTimersByTimeAsync(DEFAULT_HANDLER_TIMEOUT_MS);
    }
    const [dl] = await t.readDeadLetters(topic, "g");
    expect(dl?.reason).toBe("handler-timeout");
    expect(dl?.headers[Headers.deadLetterErrorCode]).toBe("handler-timeout");
    expect(dl?.headers[Headers.deadLetterErrorMessage]).toContain(`${DEFAULT_HANDLER_TIMEOUT_MS} ms`);
    expect(calls).toBe(TIMEOUT_RETRY_ATTEMPTS);
    await router.stop({ timeoutMs: 10 });
  });

  it("lets the retry middleware handle the timeout like any failure", async () => {
    const t = await memoryTransport();
    const topic = topicName("mw");
    const attempts: number[] = [];
    const router = new Router(t, { handlerTimeoutMs: 20, middleware: [retry({ baseMs: 0 })] });
    router.handle({
      topic,
      group: "g",
      handler: async (_p, ctx) => {
        attempts.push(ctx.message.attempt);
        if (ctx.message.attempt < 3) await never();
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(() => attempts.length === 3, 10_000, "three attempts");
    expect(attempts).toEqual([1, 2, 3]);
    await router.stop({ timeoutMs: 10 });
  });

  it("is set per route and turned off with false or 0", async () => {
    const t = await memoryTransport();
    const topic = topicName("routes");
    const started: string[] = [];
    const signals = new Map<string, AbortSignal>();
    const router = new Router(t, { handlerTimeoutMs: 20 });
    for (const [group, handlerTimeoutMs] of [
      ["off", false],
      ["zero", 0],
      ["short", undefined],
    ] as const) {
      router.handle({
        topic,
        group,
        ...(handlerTimeoutMs === undefined ? {} : { handlerTimeoutMs }),
        handler: async (_p, ctx) => {
          if (started.includes(group)) return;
          started.push(group);
          signals.set(group, ctx.signal);
          await never();
        },
      });
    }
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    // All three started together; "short" timed out after 20 ms, and only it.
    await waitFor(() => signals.get("short")?.aborted === true, 10_000, "the short route's timeout");
    expect([...started].sort()).toEqual(["off", "short", "zero"]);
    expect(signals.get("off")?.aborted).toBe(false);
    expect(signals.get("zero")?.aborted).toBe(false);
    await router.stop({ timeoutMs: 10 });
  });

  it("rejects a bad handlerTimeoutMs with its path", async () => {
    const t = await memoryTransport();
    expect(() => new Router(t, { handlerTimeoutMs: -1 })).toThrow(/handlerTimeoutMs/);
    expect(() => new Router(t, { handlerTimeoutMs: true as unknown as number })).toThrow(/handlerTimeoutMs/);
    expect(() =>
      new Router(t).handle({ topic: "x", group: "g", handlerTimeoutMs: 1.5, handler: () => undefined }),
    ).toThrow(/handlerTimeoutMs/);
  });
});

import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import { Headers } from "../core/message.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { deadLetter } from "./dead-letter.js";
import { timeout } from "./timeout.js";

describe("timeout middleware", () => {
  it("fails a hung handler with handler-timeout and aborts its signal", async () => {
    const t = await memoryTransport();
    const topic = topicName("timeout");
    let aborted = false;
    const router = new Router(t, { middleware: [deadLetter(), timeout({ ms: 50 })] });
    router.handle({
      topic,
      group: "g",
      handler: async (_p, ctx) => {
        ctx.signal.addEventListener("abort", () => (aborted = true));
        await new Promise(() => undefined);
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    const [dl] = await t.readDeadLetters(topic, "g");
    expect(dl?.headers[Headers.deadLetterErrorCode]).toBe("handler-timeout");
    expect(aborted).toBe(true);
    await router.stop({ timeoutMs: 10 });
  });

  it("rejects a non-positive timeout", () => {
    expect(() => timeout({ ms: 0 })).toThrow(/positive integer/);
  });
});

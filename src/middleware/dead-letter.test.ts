import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Router } from "../core/router.js";
import { Headers } from "../core/message.js";
import { MqaError } from "../core/errors.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { deadLetter } from "./dead-letter.js";

class PaymentDeclined extends MqaError {
  constructor() {
    super("unrecoverable", "declined by issuer");
  }
}

describe("dead-letter middleware", () => {
  it("stores reason, error name, code, message, trimmed stack, attempt and destination", async () => {
    const t = await memoryTransport();
    const topic = topicName("dl");
    const router = new Router(t, { middleware: [deadLetter({ stackLines: 2 })] });
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        throw new PaymentDeclined();
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({ a: 1 }) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    const [dl] = await t.readDeadLetters(topic, "g");
    const h = dl?.headers ?? {};
    expect(dl?.reason).toBe("unrecoverable");
    expect(h[Headers.deadLetterErrorName]).toBe("PaymentDeclined");
    expect(h[Headers.deadLetterErrorCode]).toBe("unrecoverable");
    expect(h[Headers.deadLetterErrorMessage]).toBe("declined by issuer");
    expect(h[Headers.deadLetterErrorStack]?.split("\n").length).toBeLessThanOrEqual(3);
    expect(h[Headers.attempt]).toBe("1");
    expect(h[Headers.originalDestination]).toBe(topic);
    expect(h[Headers.originalGroup]).toBe("g");
    expect(h[Headers.firstFailureAt]).toBeDefined();
    expect(h[Headers.lastFailureAt]).toBeDefined();
    await router.stop();
  });

  it("records validation issues for invalid payloads", async () => {
    const t = await memoryTransport();
    const topic = topicName("dl-invalid");
    const router = new Router(t, { middleware: [deadLetter()] });
    router.handle({
      topic,
      group: "g",
      schema: z.object({ qty: z.number().int() }),
      handler: async () => undefined,
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({ qty: "three" }) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    const [dl] = await t.readDeadLetters(topic, "g");
    expect(dl?.reason).toBe("invalid-payload");
    const details = JSON.parse(dl?.headers[Headers.deadLetterDetails] ?? "{}") as {
      issues: Array<{ path: string }>;
    };
    expect(details.issues[0]?.path).toBe("qty");
    await router.stop();
  });
});

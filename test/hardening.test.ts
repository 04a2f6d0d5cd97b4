/**
 * Regression tests of the hardening issue (13): what a careless handler or a hostile value does to mqa's own
 * machinery. Each case names the probe it answers.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Headers, Router, createLogger, deadLetter, retry } from "../src/index.js";
import { waitFor } from "../src/testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "./support/memory.js";

function captureLog(): { stream: Writable; text: () => string } {
  let out = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => out };
}

describe("values thrown by handlers that are not Errors", () => {
  it("`throw null` is retried like any failure and dead-lettered after the last attempt with its own description", async () => {
    const t = await memoryTransport();
    const topic = topicName("throw-null");
    const log = captureLog();
    let calls = 0;
    const router = new Router(t, {
      logger: createLogger({ destination: log.stream, level: "debug" }),
      middleware: [deadLetter(), retry({ attempts: 3, baseMs: 0, jitter: "none" })],
    });
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        calls++;
        throw null;
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "the dead letter");
    const [dead] = await t.readDeadLetters(topic, "g");
    expect(calls).toBe(3);
    expect(dead?.reason).toBe("max-attempts");
    expect(dead?.headers[Headers.deadLetterErrorName]).toBe("NonError");
    expect(dead?.headers[Headers.deadLetterErrorMessage]).toBe("null");
    expect(log.text()).not.toContain("TypeError");
    await router.stop();
    await t.close();
  });

  it("a thrown plain object reaches the dead-letter headers with its secrets masked", async () => {
    const t = await memoryTransport();
    const topic = topicName("throw-object");
    const router = new Router(t, {
      logger: createLogger({ destination: captureLog().stream }),
      middleware: [deadLetter()],
    });
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        throw { password: "hunter2", dsn: "postgres://app:pw7@db/x", why: "refused" };
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "the dead letter");
    const [dead] = await t.readDeadLetters(topic, "g");
    const headers = JSON.stringify(dead?.headers);
    expect(headers).not.toMatch(/hunter2|pw7/);
    expect(dead?.headers[Headers.deadLetterErrorMessage]).toContain('"why":"refused"');
    await router.stop();
    await t.close();
  });
});

import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import { createLogger } from "../log/logger.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { logging } from "./logging.js";

describe("logging middleware", () => {
  it("logs one line per message with ids and duration, never the payload", async () => {
    let out = "";
    const destination = new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const logger = createLogger({ destination, level: "debug" });
    const t = await memoryTransport();
    const topic = topicName("log");
    let n = 0;
    const router = new Router(t, { logger, middleware: [logging()] });
    router.handle({ topic, group: "g", handler: async () => void n++ });
    await router.start();
    await t.publish(topic, { ...asJson, id: "msg-7", payload: json({ creditCard: "4111111111111111" }) });
    await waitFor(() => n === 1 && out.includes("handled"), 5000, "the log line");
    const line = JSON.parse(out.split("\n").find((l) => l.includes('"handled"')) ?? "{}") as Record<
      string,
      unknown
    >;
    expect(line["messageId"]).toBe("msg-7");
    expect(line["topic"]).toBe(topic);
    expect(typeof line["ms"]).toBe("number");
    expect(out).not.toContain("4111111111111111");
    await router.stop();
  });
});

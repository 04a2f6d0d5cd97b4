import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { deadLetter } from "./dead-letter.js";
import { metrics } from "./metrics.js";
import { retry } from "./retry.js";

describe("metrics middleware", () => {
  it("counts outcomes per topic and group and times handlers", async () => {
    const registry = new Registry();
    const t = await memoryTransport();
    const topic = topicName("metrics");
    const router = new Router(t, {
      middleware: [metrics({ registry }), deadLetter(), retry({ attempts: 2, baseMs: 1, maxMs: 2 })],
    });
    router.handle({
      topic,
      group: "g",
      handler: async (p) => {
        if ((p as { fail: boolean }).fail) throw new Error("nope");
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({ fail: false }) });
    await t.publish(topic, { ...asJson, payload: json({ fail: true }) });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 5000, "dead letter");
    await router.stop();
    const text = await registry.metrics();
    const line = (outcome: string): string | undefined =>
      text
        .split("\n")
        .find((l) =>
          l.startsWith(`mqa_messages_handled_total{topic="${topic}",group="g",outcome="${outcome}"}`),
        );
    expect(line("ack")).toMatch(/ 1$/);
    expect(line("retry")).toMatch(/ 1$/);
    expect(line("dead-letter")).toMatch(/ 1$/);
    expect(text).toMatch(
      new RegExp(`mqa_messages_redelivered_total\\{topic="${topic.replace(/\./g, "\\.")}",group="g"\\} 1`),
    );
    expect(text).toContain("mqa_handler_duration_seconds_bucket");
  });
});

import { describe, expect, it } from "vitest";
import { createTransport } from "../src/connect.js";
import { ORDERS_TOPIC, runDemo } from "../src/demo/pipeline.js";
import { AmqpTransport, createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL } from "./support/amqp.js";

describe("mqa demo on RabbitMQ", () => {
  it("createTransport maps amqp:// and amqps:// to the RabbitMQ transport", async () => {
    const t = await createTransport(AMQP_URL);
    expect(t).toBeInstanceOf(AmqpTransport);
    expect(await createTransport("amqps://guest:guest@127.0.0.1:5671")).toBeInstanceOf(AmqpTransport);
    await t.close();
  });

  it("runs the order pipeline with nothing lost and the poison orders in the DLQ with reasons", async () => {
    const transport = createAmqpTransport({ url: AMQP_URL });
    const report = await runDemo({ transport, brokerLabel: "amqp", orders: 30, timeoutMs: 30_000 });
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.deadLettered).toBeGreaterThan(0);
    // The DLQ is shared by runs of the demo: look at this run's letters only.
    const dead = (await transport.readDeadLetters(ORDERS_TOPIC, "payments", 10_000)).filter(
      (d) => d.headers["x-mqa-demo-run"] === report.runId,
    );
    await transport.close({ timeoutMs: 2000 });
    expect(dead.length).toBe(report.deadLettered);
    for (const d of dead) expect(["max-attempts", "invalid-payload", "unrecoverable"]).toContain(d.reason);
    for (const d of dead) expect(d.headers["x-mqa-original-group"]).toBe("payments");
  });
});

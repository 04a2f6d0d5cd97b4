/**
 * `mqa verify` against RabbitMQ: the shared broker with consumer kills (real child processes, SIGKILL),
 * connection cuts through the fault proxy and poison; then a private node the command starts itself,
 * so broker-restart can restart it.
 */
import { describe, expect, it } from "vitest";
import { maskUrl } from "../src/core/redact.js";
import { verifyWithBrokerRestart, verifyWithClientFaults } from "./support/verify-report.js";

/** The shared RabbitMQ, or `MQA_TEST_AMQP_URL` when set (as the amqp transport's tests do). */
const AMQP = process.env["MQA_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672";

describe("mqa verify on amqp://", () => {
  it("loses nothing under consumer-kill, connection-cut and poison on the shared RabbitMQ", async () => {
    const report = await verifyWithClientFaults(AMQP, 101);
    expect(report.broker).toBe(maskUrl(AMQP));
    expect(JSON.stringify(report)).not.toContain(":guest@"); // the password never reaches the report
    expect(report.faults.find((f) => f.kind === "consumer-kill")?.detail).toMatch(
      /^SIGKILL consumer \d+ \(pid \d+\)$/,
    );
    expect(report.skippedFaults.map((f) => f.kind)).toEqual([]);
  }, 180_000);

  it("loses nothing when its own RabbitMQ node restarts mid-run (--spawn-broker, all faults)", async () => {
    const report = await verifyWithBrokerRestart(AMQP, 7);
    expect(report.broker).not.toBe(maskUrl(AMQP)); // its own node, on another port
    expect(report.notes.join(" ")).toMatch(/private RabbitMQ node/);
  }, 240_000); // boots a private node and restarts it; generous for a loaded 2-core CI machine
});

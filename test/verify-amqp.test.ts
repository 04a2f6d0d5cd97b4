/**
 * `mqa verify` against RabbitMQ: the shared broker with consumer kills (real child processes, SIGKILL),
 * connection cuts through the fault proxy and poison; then a private node the command starts itself,
 * so broker-restart can restart it.
 */
import { describe, expect, it } from "vitest";
import { maskUrl } from "../src/core/redact.js";
import { mqa } from "./support/cli.js";
import { expectAccounted, type VerifyJson } from "./support/verify-report.js";

/** The shared RabbitMQ, or `MQA_TEST_AMQP_URL` when set (as the amqp transport's tests do). */
const AMQP = process.env["MQA_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672";

describe("mqa verify on amqp://", () => {
  it("loses nothing under consumer-kill, connection-cut and poison on the shared RabbitMQ", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      AMQP,
      "--messages",
      "1000",
      "--consumers",
      "3",
      "--faults",
      "consumer-kill,connection-cut,poison",
      "--seed",
      "101",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyJson;
    expectAccounted(report, expect);
    expect(report.consumerMode).toBe("process");
    expect(report.broker).toBe(maskUrl(AMQP));
    expect(r.stdout).not.toContain(":guest@");
    expect(report.deadLettered).toBe(report.poisonPlanned);
    expect(report.faults.filter((f) => f.kind === "consumer-kill")).toHaveLength(2);
    expect(report.faults.filter((f) => f.kind === "connection-cut")).toHaveLength(2);
    expect(report.faults.find((f) => f.kind === "consumer-kill")?.detail).toMatch(
      /^SIGKILL consumer \d+ \(pid \d+\)$/,
    );
    expect(report.skippedFaults.map((f) => f.kind)).toEqual([]);
  }, 180_000);

  it("loses nothing when its own RabbitMQ node restarts mid-run (--spawn-broker, all faults)", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      AMQP,
      "--spawn-broker",
      "--messages",
      "1000",
      "--faults",
      "all",
      "--seed",
      "7",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyJson;
    expectAccounted(report, expect);
    expect(report.faults.map((f) => f.kind)).toContain("broker-restart");
    expect(report.broker).not.toBe(maskUrl(AMQP)); // its own node, on another port
    expect(report.notes.join(" ")).toMatch(/private RabbitMQ node/);
  }, 240_000); // boots a private node and restarts it; generous for a loaded 2-core CI machine
});

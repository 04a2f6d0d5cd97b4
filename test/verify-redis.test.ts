/**
 * `mqa verify` against Redis Streams: the shared Redis with consumer kills, connection cuts and
 * poison; then a private redis-server (AOF, fsync always) the command starts and restarts itself.
 */
import { describe, expect, it } from "vitest";
import { mqa } from "./support/cli.js";
import { expectAccounted, type VerifyJson } from "./support/verify-report.js";

const REDIS = "redis://127.0.0.1:6379";

describe("mqa verify on redis://", () => {
  it("loses nothing under consumer-kill, connection-cut and poison on the shared Redis", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      REDIS,
      "--messages",
      "1000",
      "--consumers",
      "3",
      "--faults",
      "consumer-kill,connection-cut,poison",
      "--seed",
      "202",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyJson;
    expectAccounted(report, expect);
    expect(report.consumerMode).toBe("process");
    expect(report.deadLettered).toBe(report.poisonPlanned);
    expect(report.faults.filter((f) => f.kind === "consumer-kill")).toHaveLength(2);
    expect(report.faults.filter((f) => f.kind === "connection-cut")).toHaveLength(2);
  }, 180_000);

  it("loses nothing when its own redis-server restarts mid-run (--spawn-broker, all faults)", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      REDIS,
      "--spawn-broker",
      "--messages",
      "1000",
      "--faults",
      "all",
      "--seed",
      "8",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyJson;
    expectAccounted(report, expect);
    expect(report.faults.map((f) => f.kind)).toContain("broker-restart");
    expect(report.notes.join(" ")).toMatch(/private redis-server/);
  }, 240_000);
});

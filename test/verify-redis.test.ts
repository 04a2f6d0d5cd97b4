/**
 * `mqa verify` against Redis Streams: the shared Redis with consumer kills, connection cuts and
 * poison; then a private redis-server (AOF, fsync always) the command starts and restarts itself.
 */
import { describe, expect, it } from "vitest";
import { verifyWithBrokerRestart, verifyWithClientFaults } from "./support/verify-report.js";

const REDIS = "redis://127.0.0.1:6379";

describe("mqa verify on redis://", () => {
  it("loses nothing under consumer-kill, connection-cut and poison on the shared Redis", async () => {
    await verifyWithClientFaults(REDIS, 202);
  }, 180_000);

  it("loses nothing when its own redis-server restarts mid-run (--spawn-broker, all faults)", async () => {
    const report = await verifyWithBrokerRestart(REDIS, 8);
    expect(report.notes.join(" ")).toMatch(/private redis-server/);
  }, 240_000);
});

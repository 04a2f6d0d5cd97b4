/**
 * `mqa verify --cluster` on redis://: the command starts its own Redis Cluster (3 primaries, 3 replicas), clients
 * connect in cluster mode with `durability: { replicas: 1 }` (publisher and consumer processes), and mid-run the
 * primary of the topic's slot is SIGKILLed (its replica takes over, the old one rejoins as a replica) and the slot
 * is moved to another primary. Every confirmed message is accounted for (lost 0 of confirmed); publishes the
 * cluster could not confirm meanwhile are reported as never confirmed, by error code, with how many arrived anyway.
 * The run goes through the built CLI (`node bin/mqa.js verify … --json`).
 */
import { describe, expect, it } from "vitest";
import { mqa } from "./support/cli.js";
import { verifyRun } from "./support/verify-report.js";

describe("mqa verify --cluster on redis://", () => {
  it("loses no confirmed message when the slot's primary is killed and the slot moved mid-run (durability replicas 1)", async () => {
    const report = await verifyRun(
      "redis://127.0.0.1:6379", // only the kind: the run starts its own cluster
      "--cluster",
      "--durability-replicas",
      "1",
      "--messages",
      "4000",
      "--consumers",
      "2",
      "--faults",
      "kill-primary,move-slot",
      "--seed",
      "5",
    );
    console.log(JSON.stringify({ ...report, lostSample: undefined }));
    expect(report.ok).toBe(true);
    expect(report.lost).toBe(0);
    expect(report.confirmedDelivered).toBe(report.confirmed);
    expect(report.faultsInjected).toBe(2);
    expect(report.faults.map((f) => f.kind).sort()).toEqual(["kill-primary", "move-slot"]);
    expect(report.faults.find((f) => f.kind === "kill-primary")?.detail).toMatch(
      /^SIGKILL primary on port (\d+) \(slot \d+ of mqa:\{mqa\.verify\.\w+\}\); replica on port (?!\1)\d+ took over after \d+ ms; old primary back as replica after \d+ ms$/,
    );
    expect(report.faults.find((f) => f.kind === "move-slot")?.detail).toMatch(
      /^moved slot \d+ \(mqa:\{mqa\.verify\.\w+\}\) with its keys from port (\d+) to port (?!\1)\d+ in \d+ ms$/,
    );
    expect(report.skippedFaults).toEqual([]);
    expect(report.consumerMode).toBe("process");
    expect(report.durabilityReplicas).toBe(1);
    expect(report.notes.join(" ")).toMatch(
      /private Redis Cluster of 3 primaries and 3 replicas on ports (\d+, ){5}\d+/,
    );

    // Never confirmed: every publish is either confirmed or rejected with a code, and the per-code counts add up.
    const never = report.neverConfirmed;
    expect(report.confirmed + report.rejected).toBe(report.published);
    expect(never.total).toBe(report.rejected);
    const codes = Object.entries(never.byCode);
    expect(codes.reduce((n, [, c]) => n + c.rejected, 0)).toBe(never.total);
    expect(codes.reduce((n, [, c]) => n + c.arrived, 0)).toBe(never.arrived);
    for (const [code, c] of codes) {
      expect(report.rejections[code]).toBe(c.rejected);
      expect(c.arrived).toBeLessThanOrEqual(c.rejected);
    }
    // Only what the cluster can answer while a slot changes hands: no replica yet, or no answer in time.
    for (const [code] of codes)
      expect(["durability-not-met", "publish-timeout", "connection-closed"]).toContain(code);
  }, 150_000);

  it("says what a failover can cost when no durability replicas are asked for", async () => {
    // No cluster needed: the note is about every Redis run without --durability-replicas.
    const r = await mqa(
      "verify",
      "--broker",
      "redis://127.0.0.1:6379",
      "--messages",
      "20",
      "--consumers",
      "1",
      "--faults",
      "none",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { notes: string[]; durabilityReplicas: number; lost: number };
    expect(report.durabilityReplicas).toBe(0);
    expect(report.notes).toContain(
      "durability replicas 0: confirmed writes acknowledged by no replica can be lost when a primary fails; " +
        "run with --durability-replicas 1",
    );
  }, 60_000);

  it("refuses --durability-replicas for a broker that is not Redis, naming the option", async () => {
    const r = await mqa("verify", "--broker", "memory://", "--durability-replicas", "1", "--messages", "10");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /durabilityReplicas: waiting for replicas \(WAIT\) is a Redis option; memory:\/\/ has none/,
    );
  }, 60_000);
});

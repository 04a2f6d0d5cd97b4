import { describe, expect, it } from "vitest";
import { mqa } from "./support/cli.js";
import type { VerifyJson as Report } from "./support/verify-report.js";

describe("mqa verify on memory://", () => {
  it("accounts for every message under consumer kills and poison, and counts duplicates", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      "memory://",
      "--messages",
      "1500",
      "--faults",
      "all",
      "--work-ms",
      "5",
      "--seed",
      "42",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.consumerMode).toBe("in-process");
    expect(report.seed).toBe(42);
    expect(report.confirmed).toBe(1500);
    expect(report.lost).toBe(0);
    expect(report.endedBy).toBe("complete");
    expect(report.poisonPlanned).toBe(15);
    expect(report.deadLettered).toBe(15);
    expect(report.poisonMissingFromDlq).toBe(0);
    expect(report.consumed).toBe(1500 - 15);
    // Duplicates happen only when a kill lands between a consumer's report and its ack, which depends on
    // timing, so their number is not asserted; a duplicate is never mistaken for a loss.
    expect(Number.isInteger(report.duplicates)).toBe(true);
    expect(report.faults.filter((f) => f.kind === "consumer-kill")).toHaveLength(2);
    expect(report.faultsInjected).toBe(2 + 15);
    // Honest about what memory:// cannot do.
    expect(report.skippedFaults.map((f) => f.kind).sort()).toEqual([
      "broker-restart",
      "connection-cut",
      "kill-leader",
      "kill-primary",
      "move-slot",
    ]);
  });

  it("exits non-zero and names the lost messages when a broken consumer drops some", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      "memory://",
      "--messages",
      "500",
      "--faults",
      "consumer-kill",
      "--seed",
      "1",
      "--test-drop-every",
      "50",
      "--idle-timeout",
      "2",
      "--json",
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.lost).toBe(10);
    expect(report.lostSample).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450]);
    expect(report.endedBy).toBe("idle-timeout");
  });

  it("writes a Markdown report and prints text with the verdict", async () => {
    const file = `/tmp/mqa-verify-${process.pid}.md`;
    const r = await mqa(
      "verify",
      "--broker",
      "memory://",
      "--messages",
      "300",
      "--seed",
      "9",
      "--report",
      file,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("lost           0");
    const { readFile, rm } = await import("node:fs/promises");
    const md = await readFile(file, "utf8");
    await rm(file);
    expect(md).toContain("# Delivery verification: no message lost");
    expect(md).toContain("| lost | 0 |");
    expect(md).toContain("--seed 9");
  });

  it("rejects unknown faults", async () => {
    const r = await mqa("verify", "--broker", "memory://", "--faults", "meteor");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown fault "meteor"');
  });
});

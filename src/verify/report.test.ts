import { describe, expect, it } from "vitest";
import { Ledger } from "./ledger.js";
import { resolveVerifyOptions } from "./options.js";
import { buildReport, formatVerifyMarkdown, formatVerifyText, publishOutcome } from "./report.js";
import type { RunOutcome, VerifyReport } from "./report.js";

/**
 * Ten publishes: 0–5 confirmed (5 never arrives: lost), 6–9 never confirmed; of those 6 and 7
 * (durability-not-met) and 9 (publish-timeout) arrived anyway, 8 (publish-timeout) did not.
 */
function reportOf(): VerifyReport {
  const ledger = new Ledger(10, []);
  const rejections = new Map<string, number>();
  const reject = (seq: number, code: string): void => {
    ledger.recordRejected(seq, code);
    rejections.set(code, (rejections.get(code) ?? 0) + 1);
  };
  for (let seq = 0; seq < 10; seq++) ledger.recordPublished();
  for (let seq = 0; seq < 6; seq++) ledger.recordConfirmed(seq);
  reject(6, "durability-not-met");
  reject(7, "durability-not-met");
  reject(8, "publish-timeout");
  reject(9, "publish-timeout");
  for (const seq of [0, 1, 2, 3, 6, 7, 9]) ledger.recordConsumed(seq, 1);
  ledger.recordDeadLettered(4);
  const o = resolveVerifyOptions({ broker: "redis://:secret@127.0.0.1:6379", messages: 10 });
  const outcome: RunOutcome = {
    summary: ledger.summary(),
    brokerUrl: "redis://:secret@127.0.0.1:6379",
    transport: "redis",
    run: "r1",
    topic: "mqa.verify.r1",
    group: "verify",
    seed: 1,
    crossProcess: true,
    active: [],
    skipped: [],
    plan: { seed: 1, faults: [], poison: [] },
    injected: [],
    rejections,
    restarts: 0,
    notes: [],
    endedBy: "complete",
    durationMs: 1000,
  };
  return buildReport(o, outcome);
}

describe("the verify report: confirmed and never confirmed", () => {
  it("splits confirmed into delivered and lost, and never confirmed by code with what arrived anyway", () => {
    const r = reportOf();
    expect(r).toMatchObject({
      published: 10,
      confirmed: 6,
      confirmedDelivered: 5,
      lost: 1,
      lostSample: [5],
      rejected: 4,
      rejections: { "durability-not-met": 2, "publish-timeout": 2 },
      neverConfirmed: {
        total: 4,
        arrived: 3,
        byCode: {
          "durability-not-met": { rejected: 2, arrived: 2 },
          "publish-timeout": { rejected: 2, arrived: 1 },
        },
      },
      durabilityReplicas: 0,
    });
    // Unconfirmed messages that arrived, or did not, never make the run fail; the confirmed lost one does.
    expect(r.ok).toBe(false);
    expect(publishOutcome(r).map((o) => [o.what, o.publishes, o.arrived, o.lost])).toEqual([
      ["confirmed", 6, 5, 1],
      ["never confirmed", 4, 3, undefined],
      ["durability-not-met", 2, 2, undefined],
      ["publish-timeout", 2, 1, undefined],
    ]);
  });

  it("is ok when only never-confirmed publishes are missing", () => {
    const ledger = new Ledger(3, []);
    for (let seq = 0; seq < 3; seq++) ledger.recordPublished();
    ledger.recordConfirmed(0);
    ledger.recordConsumed(0, 1);
    ledger.recordRejected(1, "durability-not-met");
    ledger.recordRejected(2, "publish-rejected");
    const s = ledger.summary();
    expect(s.lost).toBe(0);
    expect(s.neverConfirmed).toEqual({
      total: 2,
      arrived: 0,
      byCode: {
        "durability-not-met": { rejected: 1, arrived: 0 },
        "publish-rejected": { rejected: 1, arrived: 0 },
      },
    });
  });

  it("shows the section in the text report", () => {
    const text = formatVerifyText(reportOf());
    expect(text).toContain("publish outcome (arrived = consumed or dead-lettered):");
    expect(text).toMatch(/^ {4}confirmed +6 {3}delivered 5, lost 1$/m);
    expect(text).toMatch(
      /^ {4}never confirmed +4 {3}arrived anyway 3 \(not lost: the publisher was told\)$/m,
    );
    expect(text).toMatch(/^ {6}durability-not-met +2 {3}arrived anyway 2$/m);
    expect(text).toMatch(/^ {6}publish-timeout +2 {3}arrived anyway 1$/m);
    expect(text).not.toContain("secret");
  });

  it("shows the section in the Markdown report", () => {
    const md = formatVerifyMarkdown(reportOf());
    expect(md).toContain("## Confirmed and never confirmed");
    expect(md).toContain("| confirmed | 6 | 5 | 1 |");
    expect(md).toContain("| never confirmed | 4 | 3 | — (publisher told) |");
    expect(md).toContain("| ↳ `durability-not-met` | 2 | 2 | — (publisher told) |");
    expect(md).toContain("| ↳ `publish-timeout` | 2 | 1 | — (publisher told) |");
  });

  it("keeps the section in the JSON report", () => {
    const json = JSON.parse(JSON.stringify(reportOf())) as VerifyReport;
    expect(json.neverConfirmed.byCode["publish-timeout"]).toEqual({ rejected: 2, arrived: 1 });
    expect(json.confirmedDelivered).toBe(5);
  });
});

describe("verify options for a Redis Cluster", () => {
  it("adds kill-primary and move-slot to the default faults on a redis:// cluster, kill-leader on amqp://", () => {
    expect(resolveVerifyOptions({ broker: "redis://127.0.0.1:6379", cluster: 3 }).faults).toEqual([
      "consumer-kill",
      "connection-cut",
      "broker-restart",
      "poison",
      "kill-primary",
      "move-slot",
    ]);
    expect(resolveVerifyOptions({ broker: "amqp://127.0.0.1", cluster: 3 }).faults).toContain("kill-leader");
  });

  it("refuses durability replicas for a broker that is not Redis, naming the option", () => {
    expect(() => resolveVerifyOptions({ broker: "amqp://127.0.0.1", durabilityReplicas: 1 })).toThrow(
      /durabilityReplicas: waiting for replicas \(WAIT\) is a Redis option; amqp:\/\/ has none/,
    );
    expect(
      resolveVerifyOptions({ broker: "redis://127.0.0.1", durabilityReplicas: 1 }).durabilityReplicas,
    ).toBe(1);
  });
});

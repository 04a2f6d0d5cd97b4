import { describe, expect, it } from "vitest";
import { Ledger } from "./ledger.js";

describe("Ledger", () => {
  it("reconciles consumed, duplicates, dead letters and losses", () => {
    const ledger = new Ledger(6, [5]);
    for (let seq = 0; seq < 6; seq++) {
      ledger.recordPublished();
      if (seq === 4) ledger.recordRejected(seq);
      else ledger.recordConfirmed(seq);
    }
    ledger.recordConsumed(0, 1.5);
    ledger.recordConsumed(0, 9); // redelivered after a crash before the ack
    ledger.recordConsumed(1, 2);
    ledger.recordConsumed(2, 3);
    ledger.recordDeadLettered(5); // the poison message
    // 3 was confirmed and never seen: lost. 4 was rejected: the caller knew, so not lost.
    const s = ledger.summary();
    expect(s).toMatchObject({
      published: 6,
      confirmed: 5,
      rejected: 1,
      consumed: 3,
      duplicates: 1,
      deadLettered: 1,
      lost: 1,
      lostSample: [3],
      poisonMissingFromDlq: 0,
      unexpectedDeadLetters: 0,
    });
    expect(s.latencyMs.count).toBe(3);
    expect(ledger.allConfirmedAccounted()).toBe(false);
  });

  it("counts reports outside the run as strays, not as consumed", () => {
    const ledger = new Ledger(2, []);
    ledger.recordConsumed(7, 1);
    expect(ledger.strays).toBe(1);
    expect(ledger.summary().consumed).toBe(0);
  });
});

/**
 * The reconciliation ledger of a verify run: what happened to every sequence number. Publishing,
 * consuming and the dead-letter read all write here; {@link Ledger.summary} turns it into the report.
 */
import * as hdr from "hdr-histogram-js";

/** Publishes that were never confirmed (the caller was told), and what became of them. */
export interface NeverConfirmed {
  /** Publishes that rejected (the same as `rejected`). */
  total: number;
  /** Of those, consumed or dead-lettered all the same (stored before the publish gave up): fine, not lost. */
  arrived: number;
  /** The same two counts per error code (`durability-not-met`, `publish-timeout`, `publish-rejected`, …). */
  byCode: Record<string, { rejected: number; arrived: number }>;
}

/** The reconciled counts. */
export interface LedgerSummary {
  /** Publish attempts. */
  published: number;
  /** Publishes the broker confirmed. */
  confirmed: number;
  /** Publishes that rejected (reported to the caller, so not lost). */
  rejected: number;
  /** Distinct messages a consumer processed successfully. */
  consumed: number;
  /** Extra successful deliveries of messages already consumed (at-least-once redeliveries). */
  duplicates: number;
  /** Distinct messages found in the dead-letter queue. */
  deadLettered: number;
  /** Confirmed, and consumed or dead-lettered (`confirmed` = `confirmedDelivered` + `lost`). */
  confirmedDelivered: number;
  /** Confirmed, but neither consumed nor dead-lettered. */
  lost: number;
  /** Never confirmed: rejected, by error code, and how many of those arrived anyway. Never counted as lost. */
  neverConfirmed: NeverConfirmed;
  /** Up to 20 lost sequence numbers, to look them up. */
  lostSample: number[];
  /** Poison messages that did not end in the dead-letter queue. */
  poisonMissingFromDlq: number;
  /** Non-poison messages in the dead-letter queue (e.g. a broker's delivery limit after crashes). */
  unexpectedDeadLetters: number;
  latencyMs: { p50: number; p99: number; max: number; count: number };
}

/** Per-sequence state of one run. */
export class Ledger {
  private readonly confirmedFlags: Uint8Array;
  private readonly rejectedFlags: Uint8Array;
  /** Error code of each rejected publish. */
  private readonly rejectedCodes = new Map<number, string>();
  private readonly consumedCounts: Uint32Array;
  private readonly deadLetterFlags: Uint8Array;
  private readonly intentFlags: Uint8Array;
  private readonly poison: Set<number>;
  private readonly latencyUs = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  published = 0;
  confirmed = 0;
  rejected = 0;
  consumed = 0;
  duplicates = 0;
  /** Messages a consumer is about to dead-letter (its own word; the DLQ read is the authority). */
  deadLetterIntents = 0;
  /** Reports for sequence numbers outside the run (should stay 0). */
  strays = 0;

  constructor(
    readonly messages: number,
    poison: readonly number[],
  ) {
    this.confirmedFlags = new Uint8Array(messages);
    this.rejectedFlags = new Uint8Array(messages);
    this.consumedCounts = new Uint32Array(messages);
    this.deadLetterFlags = new Uint8Array(messages);
    this.intentFlags = new Uint8Array(messages);
    this.poison = new Set(poison);
  }

  isPoison(seq: number): boolean {
    return this.poison.has(seq);
  }

  private inRange(seq: number): boolean {
    if (Number.isInteger(seq) && seq >= 0 && seq < this.messages) return true;
    this.strays++;
    return false;
  }

  recordPublished(): void {
    this.published++;
  }

  recordConfirmed(seq: number): void {
    if (!this.inRange(seq) || this.confirmedFlags[seq]) return;
    this.confirmedFlags[seq] = 1;
    this.confirmed++;
  }

  /** The publish of `seq` rejected with error `code` (the caller was told: never confirmed, not lost). */
  recordRejected(seq: number, code = "other"): void {
    if (!this.inRange(seq) || this.rejectedFlags[seq]) return;
    this.rejectedFlags[seq] = 1;
    this.rejectedCodes.set(seq, code);
    this.rejected++;
  }

  /** A consumer processed `seq`; `latencyMs` from its send time, recorded for the first time only. */
  recordConsumed(seq: number, latencyMs: number): void {
    if (!this.inRange(seq)) return;
    const before = this.consumedCounts[seq] ?? 0;
    this.consumedCounts[seq] = before + 1;
    if (before > 0) {
      this.duplicates++;
      return;
    }
    this.consumed++;
    this.latencyUs.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  recordDeadLetterIntent(seq: number): void {
    if (!this.inRange(seq) || this.intentFlags[seq]) return;
    this.intentFlags[seq] = 1;
    this.deadLetterIntents++;
  }

  recordDeadLettered(seq: number): void {
    if (!this.inRange(seq)) return;
    this.deadLetterFlags[seq] = 1;
  }

  /** Every confirmed message consumed or (by a consumer's word) on its way to the DLQ. */
  get settledCount(): number {
    let n = 0;
    for (let seq = 0; seq < this.messages; seq++) {
      if ((this.consumedCounts[seq] ?? 0) > 0 || this.intentFlags[seq] || this.deadLetterFlags[seq]) n++;
    }
    return n;
  }

  /** True when each confirmed message is consumed or known to be dead-lettered. */
  allConfirmedAccounted(): boolean {
    for (let seq = 0; seq < this.messages; seq++) {
      if (!this.confirmedFlags[seq]) continue;
      if ((this.consumedCounts[seq] ?? 0) === 0 && !this.intentFlags[seq] && !this.deadLetterFlags[seq])
        return false;
    }
    return true;
  }

  summary(): LedgerSummary {
    let lost = 0;
    let confirmedDelivered = 0;
    const neverConfirmed: NeverConfirmed = { total: 0, arrived: 0, byCode: {} };
    let deadLettered = 0;
    let poisonMissing = 0;
    let unexpected = 0;
    const lostSample: number[] = [];
    for (let seq = 0; seq < this.messages; seq++) {
      const consumed = (this.consumedCounts[seq] ?? 0) > 0;
      const dlq = this.deadLetterFlags[seq] === 1;
      if (dlq) deadLettered++;
      if (dlq && !this.poison.has(seq)) unexpected++;
      if (this.poison.has(seq) && this.confirmedFlags[seq] && !dlq) poisonMissing++;
      if (this.confirmedFlags[seq] && !consumed && !dlq) {
        lost++;
        if (lostSample.length < 20) lostSample.push(seq);
      } else if (this.confirmedFlags[seq]) confirmedDelivered++;
      if (this.rejectedFlags[seq]) {
        const code = this.rejectedCodes.get(seq) ?? "other";
        const byCode = (neverConfirmed.byCode[code] ??= { rejected: 0, arrived: 0 });
        neverConfirmed.total++;
        byCode.rejected++;
        if (consumed || dlq) {
          neverConfirmed.arrived++;
          byCode.arrived++;
        }
      }
    }
    const count = this.latencyUs.totalCount;
    const ms = (us: number): number => Math.round(us / 10) / 100;
    return {
      published: this.published,
      confirmed: this.confirmed,
      rejected: this.rejected,
      consumed: this.consumed,
      duplicates: this.duplicates,
      deadLettered,
      confirmedDelivered,
      lost,
      neverConfirmed,
      lostSample,
      poisonMissingFromDlq: poisonMissing,
      unexpectedDeadLetters: unexpected,
      latencyMs: {
        p50: count ? ms(this.latencyUs.getValueAtPercentile(50)) : 0,
        p99: count ? ms(this.latencyUs.getValueAtPercentile(99)) : 0,
        max: count ? ms(this.latencyUs.maxValue) : 0,
        count,
      },
    };
  }
}

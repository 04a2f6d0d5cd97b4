/** The fields of `mqa verify --json` the tests read. */
export interface VerifyJson {
  lost: number;
  consumed: number;
  confirmed: number;
  rejected: number;
  duplicates: number;
  deadLettered: number;
  poisonPlanned: number;
  poisonMissingFromDlq: number;
  faultsInjected: number;
  faults: Array<{ kind: string; detail: string }>;
  skippedFaults: Array<{ kind: string; reason: string }>;
  notes: string[];
  lostSample: number[];
  consumerMode: string;
  broker: string;
  seed: number;
  endedBy: string;
}

/** Every confirmed message was consumed or dead-lettered, and each planned poison message is in the DLQ. */
export function expectAccounted(
  r: VerifyJson,
  expect: (v: unknown, m?: string) => { toBe(x: unknown): void },
): void {
  const why = JSON.stringify({ lost: r.lostSample, notes: r.notes, faults: r.faults });
  expect(r.lost, why).toBe(0);
  expect(r.endedBy, why).toBe("complete");
  expect(r.poisonMissingFromDlq, why).toBe(0);
  expect(r.consumed + r.deadLettered >= r.confirmed, why).toBe(true);
}

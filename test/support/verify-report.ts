import { expect } from "vitest";
import { mqa } from "./cli.js";

/** The fields of `mqa verify --json` the tests read. */
export interface VerifyJson {
  lost: number;
  ok: boolean;
  published: number;
  /** Confirmed and consumed or dead-lettered. */
  confirmedDelivered: number;
  /** Rejected publishes (never confirmed) by error code, and how many of them arrived anyway. */
  neverConfirmed: {
    total: number;
    arrived: number;
    byCode: Record<string, { rejected: number; arrived: number }>;
  };
  rejections: Record<string, number>;
  durabilityReplicas: number;
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

/**
 * Run `mqa verify --broker <broker> --json` with `args`, check that it exited 0 and accounted for every
 * message ({@link expectAccounted}), and return the report for the caller's own checks.
 */
export async function verifyRun(broker: string, ...args: string[]): Promise<VerifyJson> {
  const r = await mqa("verify", "--broker", broker, "--json", ...args);
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as VerifyJson;
  expectAccounted(report, expect);
  return report;
}

/** The shared-broker run of both verify tests: 1,000 messages, 3 consumer processes, kills, cuts, poison. */
export async function verifyWithClientFaults(broker: string, seed: number): Promise<VerifyJson> {
  const report = await verifyRun(
    broker,
    "--messages",
    "1000",
    "--consumers",
    "3",
    "--faults",
    "consumer-kill,connection-cut,poison",
    "--seed",
    String(seed),
  );
  expect(report.consumerMode).toBe("process");
  expect(report.deadLettered).toBe(report.poisonPlanned);
  expect(report.faults.filter((f) => f.kind === "consumer-kill")).toHaveLength(2);
  expect(report.faults.filter((f) => f.kind === "connection-cut")).toHaveLength(2);
  return report;
}

/** The private-broker run: the command starts its own broker and restarts it, with every other fault too. */
export async function verifyWithBrokerRestart(broker: string, seed: number): Promise<VerifyJson> {
  const report = await verifyRun(
    broker,
    "--spawn-broker",
    "--messages",
    "1000",
    "--faults",
    "all",
    "--seed",
    String(seed),
  );
  expect(report.faults.map((f) => f.kind)).toContain("broker-restart");
  return report;
}

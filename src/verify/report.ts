/**
 * The verify report: its shape, how a run's outcome becomes one ({@link buildReport}), and how it reads as
 * terminal text and as Markdown for a design review.
 */
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import type { FaultKind, FaultPlan } from "./fault-plan.js";
import type { LedgerSummary } from "./ledger.js";
import type { ResolvedVerifyOptions } from "./options.js";

/** One fault as it happened. */
export interface InjectedFault {
  kind: FaultKind;
  /** Milliseconds after publishing started. */
  atMs: number;
  detail: string;
}

/** The reconciled outcome of a verify run. */
export interface VerifyReport extends LedgerSummary {
  /** True when no confirmed message was lost (never-confirmed publishes do not count: their caller was told). */
  ok: boolean;
  /** Broker URL with the password masked. */
  broker: string;
  transport: string;
  run: string;
  topic: string;
  group: string;
  seed: number;
  messages: number;
  consumers: number;
  prefetch: number;
  publishWindow: number;
  attempts: number;
  /** Replicas each Redis write had to reach before its publish was confirmed (WAIT); 0 = none, or not Redis. */
  durabilityReplicas: number;
  consumerMode: "process" | "in-process";
  faultsRequested: FaultKind[];
  faultsInjected: number;
  faults: InjectedFault[];
  skippedFaults: Array<{ kind: FaultKind; reason: string }>;
  poisonPlanned: number;
  rejections: Record<string, number>;
  consumerRestarts: number;
  notes: string[];
  endedBy: "complete" | "idle-timeout" | "timeout";
  durationMs: number;
}

/** Live counters for a progress line. */
export interface VerifyProgress {
  total: number;
  published: number;
  confirmed: number;
  consumed: number;
  deadLettering: number;
  duplicates: number;
  faultsInjected: number;
}

/** What a run knows at its end, besides the options it ran with. */
export interface RunOutcome {
  summary: LedgerSummary;
  brokerUrl: string;
  transport: string;
  run: string;
  topic: string;
  group: string;
  seed: number;
  crossProcess: boolean;
  active: readonly FaultKind[];
  skipped: VerifyReport["skippedFaults"];
  plan: FaultPlan;
  injected: readonly InjectedFault[];
  rejections: ReadonlyMap<string, number>;
  restarts: number;
  notes: readonly string[];
  endedBy: VerifyReport["endedBy"];
  durationMs: number;
}

/** The report of a finished run. Notes can quote client errors, so they are masked here. */
export function buildReport(o: ResolvedVerifyOptions, r: RunOutcome): VerifyReport {
  return {
    ...r.summary,
    ok: r.summary.lost === 0,
    broker: maskUrl(r.brokerUrl),
    transport: r.transport,
    run: r.run,
    topic: r.topic,
    group: r.group,
    seed: r.seed,
    messages: o.messages,
    consumers: o.consumers,
    prefetch: o.prefetch,
    publishWindow: o.publishWindow,
    attempts: o.attempts,
    durabilityReplicas: o.durabilityReplicas,
    consumerMode: r.crossProcess ? "process" : "in-process",
    faultsRequested: o.faults,
    // Each poison message is one injected fault; each kill, cut or restart is one.
    faultsInjected: r.injected.length + r.plan.poison.length,
    faults: [
      ...(r.active.includes("poison")
        ? [
            {
              kind: "poison" as const,
              atMs: 0,
              detail: `${r.plan.poison.length} poison messages (always fail)`,
            },
          ]
        : []),
      ...[...r.injected].sort((a, b) => a.atMs - b.atMs),
    ],
    skippedFaults: r.skipped,
    poisonPlanned: r.plan.poison.length,
    rejections: Object.fromEntries(r.rejections),
    consumerRestarts: r.restarts,
    notes: r.notes.map(maskSecretsInText),
    endedBy: r.endedBy,
    durationMs: r.durationMs,
  };
}

function verdict(r: VerifyReport): string {
  return r.lost === 0 ? "✓ every confirmed message accounted for" : "✗ CONFIRMED MESSAGES LOST";
}

function counts(r: VerifyReport): Array<[string, string, string]> {
  const rejectedWhy = Object.entries(r.rejections)
    .map(([code, n]) => `${code} ${n}`)
    .join(", ");
  return [
    ["published", String(r.published), "publish calls"],
    ["confirmed", String(r.confirmed), "publish resolved: the broker durably accepted it"],
    [
      "rejected",
      String(r.rejected),
      rejectedWhy
        ? `never confirmed: publish rejected, caller told (${rejectedWhy})`
        : "never confirmed: publish rejected, caller told",
    ],
    ["consumed", String(r.consumed), "distinct messages processed"],
    ["duplicates", String(r.duplicates), "redeliveries of processed messages (at-least-once)"],
    ["deadLettered", String(r.deadLettered), `in the dead-letter queue (${r.poisonPlanned} poison planned)`],
    ["lost", String(r.lost), verdict(r)],
    [
      "faultsInjected",
      String(r.faultsInjected),
      r.faults
        .map((f) => f.kind)
        .filter(uniq)
        .join(", ") || "none",
    ],
    [
      "latency",
      `p50 ${r.latencyMs.p50} / p99 ${r.latencyMs.p99} ms`,
      "publish → first processed, under faults",
    ],
  ];
}

/** One row of the publish outcome: what became of confirmed and of never-confirmed publishes. */
interface OutcomeRow {
  /** `confirmed`, `never confirmed`, or an error code under it. */
  what: string;
  /** True for an error code (a part of the never-confirmed row). */
  sub: boolean;
  publishes: number;
  /** Consumed or dead-lettered. */
  arrived: number;
  /** Lost (confirmed only; a never-confirmed publish is never lost: its caller was told). */
  lost: number | undefined;
}

/** Confirmed (delivered, lost) and never confirmed (rejected by code, and how many arrived anyway). */
export function publishOutcome(r: VerifyReport): OutcomeRow[] {
  const never = r.neverConfirmed;
  return [
    { what: "confirmed", sub: false, publishes: r.confirmed, arrived: r.confirmedDelivered, lost: r.lost },
    { what: "never confirmed", sub: false, publishes: never.total, arrived: never.arrived, lost: undefined },
    ...Object.entries(never.byCode)
      .sort(([a, x], [b, y]) => y.rejected - x.rejected || a.localeCompare(b))
      .map(([code, c]) => ({
        what: code,
        sub: true,
        publishes: c.rejected,
        arrived: c.arrived,
        lost: undefined,
      })),
  ];
}

function outcomeText(r: VerifyReport): string[] {
  const rows = publishOutcome(r);
  const width = Math.max(...rows.map((o) => o.what.length + (o.sub ? 2 : 0))) + 2;
  return [
    "  publish outcome (arrived = consumed or dead-lettered):",
    ...rows.map((o) => {
      const label = `${o.sub ? "  " : ""}${o.what}`.padEnd(width);
      const fate =
        o.lost === undefined
          ? `arrived anyway ${o.arrived}${o.sub ? "" : " (not lost: the publisher was told)"}`
          : `delivered ${o.arrived}, lost ${o.lost}`;
      return `    ${label}${String(o.publishes).padStart(7)}   ${fate}`;
    }),
  ];
}

function uniq<T>(v: T, i: number, a: T[]): boolean {
  return a.indexOf(v) === i;
}

function warnings(r: VerifyReport): string[] {
  const w: string[] = [];
  if (r.lostSample.length > 0)
    w.push(`lost sequence numbers (first ${r.lostSample.length}): ${r.lostSample.join(", ")}`);
  if (r.poisonMissingFromDlq > 0)
    w.push(`${r.poisonMissingFromDlq} poison messages are not in the dead-letter queue`);
  if (r.unexpectedDeadLetters > 0)
    w.push(
      `${r.unexpectedDeadLetters} non-poison messages were dead-lettered (e.g. a broker delivery limit)`,
    );
  if (r.endedBy !== "complete")
    w.push(`the run ended by ${r.endedBy}, not because every message was accounted for`);
  return w;
}

/** Plain-text report for the terminal. */
export function formatVerifyText(r: VerifyReport): string {
  const lines = [
    `mqa verify on ${r.broker} (${r.transport}, run ${r.run}, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s)`,
    `  ${r.messages} messages, ${r.consumers} consumers (${r.consumerMode === "process" ? "child processes" : "in-process"}), prefetch ${r.prefetch}, publish window ${r.publishWindow}`,
    "",
    ...counts(r).map(([k, v, why]) => `  ${k.padEnd(15)}${v.padEnd(28)} ${why}`),
    "",
    ...outcomeText(r),
    "",
  ];
  if (r.faults.length > 0) {
    lines.push("  faults:");
    for (const f of r.faults)
      lines.push(`    ${(f.atMs / 1000).toFixed(2).padStart(7)} s  ${f.kind.padEnd(15)}${f.detail}`);
    lines.push("");
  }
  for (const s of r.skippedFaults) lines.push(`  skipped ${s.kind}: ${s.reason}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  for (const w of warnings(r)) lines.push(`  ! ${w}`);
  return `${lines.join("\n")}\n`;
}

/** Markdown report a team can attach to a design review. */
export function formatVerifyMarkdown(r: VerifyReport): string {
  const out = [
    `# Delivery verification: ${r.lost === 0 ? "no message lost" : `${r.lost} messages LOST`}`,
    "",
    `- Broker: \`${r.broker}\` (${r.transport} transport)`,
    `- Run \`${r.run}\`, seed \`${r.seed}\` (repeat the fault plan with \`--seed ${r.seed}\`), ${(r.durationMs / 1000).toFixed(1)} s, ended: ${r.endedBy}`,
    `- ${r.messages} messages with unique sequence numbers, published with confirms (window ${r.publishWindow});`,
    `  ${r.consumers} consumers (${r.consumerMode === "process" ? "child processes" : "in-process"}), prefetch ${r.prefetch}, ${r.attempts} attempts then dead-letter, through mqa's Router with retry and dead-letter middleware`,
    "",
    "## Reconciliation",
    "",
    "| figure | value | meaning |",
    "| --- | ---: | --- |",
    ...counts(r).map(([k, v, why]) => `| ${k} | ${v} | ${why} |`),
    "",
    "`lost` = confirmed but neither processed nor in the dead-letter queue. The exit code is non-zero when it is above 0.",
    "",
    "## Confirmed and never confirmed",
    "",
    "| publishes | count | arrived (consumed or dead-lettered) | lost |",
    "| --- | ---: | ---: | ---: |",
    ...publishOutcome(r).map(
      (o) =>
        `| ${o.sub ? `↳ \`${o.what}\`` : o.what} | ${o.publishes} | ${o.arrived} | ${o.lost ?? "— (publisher told)"} |`,
    ),
    "",
    "A never-confirmed publish rejected to its caller, who can retry it; if it arrived anyway (stored before the",
    "publish gave up) that is fine. Only a confirmed message that never arrived is lost.",
    "",
    "## Faults",
    "",
  ];
  if (r.faults.length === 0) out.push("None injected.");
  else {
    out.push("| at | fault | what happened |", "| ---: | --- | --- |");
    for (const f of r.faults) out.push(`| ${(f.atMs / 1000).toFixed(2)} s | ${f.kind} | ${f.detail} |`);
  }
  if (r.skippedFaults.length > 0) {
    out.push("", "Not injected:", "");
    for (const s of r.skippedFaults) out.push(`- **${s.kind}**: ${s.reason}`);
  }
  const w = warnings(r);
  if (w.length > 0) out.push("", "## Findings", "", ...w.map((x) => `- ${x}`));
  if (r.notes.length > 0) out.push("", "## Notes", "", ...r.notes.map((n) => `- ${n}`));
  out.push(
    "",
    "## How to read this",
    "",
    "- Delivery is at-least-once: a consumer that dies after processing but before its ack causes a duplicate,",
    "  so handlers must be idempotent (mqa's `idempotency` middleware). Duplicates are expected under faults; losses are not.",
    "- Latency is from the publish call to the first successful processing, measured while faults strike; it is not a benchmark (use `mqa bench`).",
    "",
  );
  return out.join("\n");
}

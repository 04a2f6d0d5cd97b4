/**
 * What the monitor warns about, judged from the latest snapshot and the one before: the blind spots
 * that let messages pile up or die unnoticed. Each alert says what is wrong and what to do.
 */
import { queueKey, type DeadLetterDetail, type QueueStatus, type Snapshot } from "./snapshot.js";

export type AlertKind =
  | "backlog-without-consumers"
  | "dead-letters-growing"
  | "dead-letters-present"
  | "backlog-growing"
  | "stuck-pending";

export interface Alert {
  kind: AlertKind;
  severity: "critical" | "warning" | "info";
  /** `queue` (vhost `/`), `vhost/queue`, `stream#group`, or a DLQ stream's key. */
  resource: string;
  message: string;
  fix: string;
}

export interface AlertThresholds {
  /** Backlog growth between two samples that counts as "growing" (with consumers attached). @defaultValue 100 */
  backlogGrowth: number;
  /** Redis: an entry pending longer than this is stuck (its consumer died or hangs). @defaultValue 300000 */
  stuckPendingMs: number;
}

export const defaultThresholds: AlertThresholds = { backlogGrowth: 100, stuckPendingMs: 300_000 };

/** A queue's display name, the same in alerts, the text report and the page. */
export function resourceOf(q: QueueStatus): string {
  if (q.broker === "rabbitmq") return q.scope === "/" ? q.name : `${q.scope}/${q.name}`;
  return q.name === "-" ? q.scope : `${q.scope}#${q.name}`;
}

/** ` (by reason, newest 5: max-attempts 3, invalid-payload 2)`, or nothing when reasons are not known. */
export function reasonsText(d: DeadLetterDetail | undefined): string {
  if (d?.byReason === undefined || d.byReason.length === 0) return "";
  const list = d.byReason.map((r) => `${r.reason} ${r.count}`).join(", ");
  return ` (by reason, newest ${d.sampled ?? 0}: ${list})`;
}

/** What to do about dead letters: the exact `mqa dlq` commands when the monitor could name them. */
function deadLetterFix(d: DeadLetterDetail | undefined): string {
  if (d === undefined)
    return "see why with mqa dlq stats --broker <url> --topic <topic> --group <group> (docs/dead-letters.md); fix the cause, then mqa dlq redrive … or mqa dlq purge …";
  return (
    `see why with ${d.commands.stats}; fix the cause, then ${d.commands.redrive} (--dry-run counts first)` +
    (d.commands.note !== undefined ? `; ${d.commands.note}` : "")
  );
}

/** Alerts for `current`, comparing with `previous` (the sample before) where growth matters. */
export function evaluate(
  current: Snapshot,
  previous: Snapshot | undefined,
  thresholds: AlertThresholds = defaultThresholds,
): Alert[] {
  const before = new Map((previous?.queues ?? []).map((q) => [queueKey(q), q]));
  const alerts: Alert[] = [];
  for (const q of current.queues) {
    const resource = resourceOf(q);
    const prev = before.get(queueKey(q));
    if (q.role === "dead-letter") {
      if (prev && q.backlog > prev.backlog) {
        alerts.push({
          kind: "dead-letters-growing",
          severity: "warning",
          resource,
          message: `${resource}: ${q.backlog - prev.backlog} new dead letters since the last sample (${q.backlog} in all)${reasonsText(q.deadLetters)}`,
          fix: deadLetterFix(q.deadLetters),
        });
      } else if (q.backlog > 0) {
        alerts.push({
          kind: "dead-letters-present",
          severity: "info",
          resource,
          message: `${resource} holds ${q.backlog} dead letters${reasonsText(q.deadLetters)}`,
          fix: `a DLQ nobody reads is a silent loss: ${deadLetterFix(q.deadLetters)}`,
        });
      }
      continue;
    }
    if (q.role !== "work") continue;
    if (q.backlog > 0 && q.consumers === 0) {
      alerts.push({
        kind: "backlog-without-consumers",
        severity: "critical",
        resource,
        message: `${resource}: ${q.backlog} messages waiting and no consumer`,
        fix: "start (or fix) the consumers of this queue; if the queue is abandoned, delete it instead of letting it grow",
      });
    } else if (prev && q.consumers > 0 && q.backlog - prev.backlog >= thresholds.backlogGrowth) {
      alerts.push({
        kind: "backlog-growing",
        severity: "warning",
        resource,
        message: `${resource}: backlog grew from ${prev.backlog} to ${q.backlog} with ${q.consumers} consumers`,
        fix: "consumers are slower than publishers: add consumers (or partitions), raise prefetch, or look for a slow dependency in the handler",
      });
    }
    if (q.oldestPendingMs !== undefined && q.oldestPendingMs > thresholds.stuckPendingMs) {
      alerts.push({
        kind: "stuck-pending",
        severity: "warning",
        resource,
        message: `${resource}: an entry has been pending for ${Math.round(q.oldestPendingMs / 1000)} s`,
        fix: "its consumer died or hangs: mqa's Redis transport reclaims idle entries (claimIdleMs); other clients need XAUTOCLAIM",
      });
    }
  }
  return alerts;
}

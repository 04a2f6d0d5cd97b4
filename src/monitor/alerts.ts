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
  | "stuck-pending"
  | "broker-memory-alarm"
  | "broker-disk-alarm"
  | "node-down"
  | "network-partition";

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
  const alerts: Alert[] = healthAlerts(current);
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

/** Alerts about the broker itself: alarms that block publishers, nodes down, a partitioned cluster. */
function healthAlerts(snapshot: Snapshot): Alert[] {
  const health = snapshot.health;
  if (health === undefined) return [];
  const alerts: Alert[] = [];
  for (const node of health.nodes) {
    if (!node.running) {
      alerts.push({
        kind: "node-down",
        severity: "critical",
        resource: node.name,
        message: `node ${node.name} is not running`,
        fix: "start the node again (rabbitmqctl start_app / the service) and check its log; quorum queues with replicas on it run on a reduced majority until it is back",
      });
      continue;
    }
    if (node.memoryAlarm) {
      const used =
        node.memoryUsedBytes !== undefined && node.memoryLimitBytes !== undefined
          ? ` (${mib(node.memoryUsedBytes)} of ${mib(node.memoryLimitBytes)})`
          : "";
      alerts.push({
        kind: "broker-memory-alarm",
        severity: "critical",
        resource: node.name,
        message:
          health.broker === "rabbitmq"
            ? `memory alarm on ${node.name}${used}: every publishing connection is blocked`
            : `${node.name} is at maxmemory${used}: writes are refused or keys evicted (maxmemory-policy)`,
        fix:
          health.broker === "rabbitmq"
            ? "drain the backlog (add consumers), move large backlogs to quorum/stream queues, or raise vm_memory_high_watermark if the machine has room"
            : "raise maxmemory, trim streams (MAXLEN/MINID retention), and use maxmemory-policy noeviction so streams are never evicted",
      });
    }
    if (node.diskAlarm)
      alerts.push({
        kind: "broker-disk-alarm",
        severity: "critical",
        resource: node.name,
        message: `disk alarm on ${node.name}: free disk is below disk_free_limit and every publishing connection is blocked`,
        fix: "free disk space on the node (or grow the volume), then drain the backlog; set disk_free_limit well above the largest backlog",
      });
    if (node.partitions.length > 0)
      alerts.push({
        kind: "network-partition",
        severity: "critical",
        resource: node.name,
        message: `${node.name} cannot reach ${node.partitions.join(", ")}: the cluster is partitioned`,
        fix: "restore the network between the nodes; with cluster_partition_handling = pause_minority the minority pauses by itself, with ignore restart the minority's nodes after the network heals",
      });
  }
  return alerts;
}

const mib = (bytes: number): string => `${Math.round(bytes / 1048576)} MiB`;

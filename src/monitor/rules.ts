/**
 * Prometheus alerting rules over the monitor's metrics (`mqa monitor --rules`): the same blind spots the
 * monitor reports itself, queues and the broker's own health, for teams whose alerts live in
 * Prometheus/Alertmanager. Expressions use the metric name constants, so renaming a metric changes the
 * rules with it; the tests run `promtool check rules` and `promtool test rules` on them.
 */
import { stringify } from "yaml";
import { MetricNames as M } from "./metrics.js";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "critical" | "warning" | "info" };
  annotations: { summary: string; description: string };
}

export function alertRules(): AlertRule[] {
  const q = "{{ $labels.scope }} {{ $labels.queue }}";
  const node = "{{ $labels.broker }} node {{ $labels.node }}";
  return [
    {
      alert: "MqaBacklogWithoutConsumers",
      expr: `${M.backlog}{role="work"} > 0 and ${M.consumers}{role="work"} == 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: `${q}: messages waiting and no consumer`,
        description:
          "Nothing is consuming this queue while {{ $value }} messages wait. Start or fix its consumers, or delete an abandoned queue.",
      },
    },
    {
      alert: "MqaBacklogGrowing",
      expr: `deriv(${M.backlog}{role="work"}[15m]) > 0 and ${M.backlog}{role="work"} > 1000`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${q}: backlog has grown for 15 minutes`,
        description:
          "Consumers are slower than publishers. Add consumers or partitions, raise prefetch, or find the slow dependency.",
      },
    },
    {
      alert: "MqaDeadLettersGrowing",
      expr: `delta(${M.backlog}{role="dead-letter"}[10m]) > 0`,
      for: "0m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${q}: new dead letters in the last 10 minutes`,
        description:
          "Messages failed for good. See why with `mqa dlq stats --topic <topic> --group <group>`, fix the cause, then `mqa dlq redrive` them (or purge).",
      },
    },
    {
      alert: "MqaPendingStuck",
      expr: `${M.oldestPending} > 300`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${q}: an entry has been pending for over 5 minutes`,
        description:
          "Its consumer died or hangs. mqa's Redis transport reclaims idle entries (claimIdleMs); other clients need XAUTOCLAIM.",
      },
    },
    {
      alert: "MqaConsumerLagGrowing",
      // The level first: `$value` in the description is the left-hand side's.
      expr: `${M.lag}{role="work"} > 1000 and deriv(${M.lag}{role="work"}[15m]) > 0`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${q}: consumer group lag has grown for 15 minutes`,
        description:
          "The group reads the stream slower than entries are added ({{ $value }} unread). Add consumers or partitions, or find the slow dependency; entries trimmed before being read are lost to the group.",
      },
    },
    {
      alert: "MqaBrokerMemoryAlarm",
      expr: `${M.memoryAlarm} == 1`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: `${node}: memory alarm`,
        description:
          "RabbitMQ blocks every publishing connection while the alarm is on; Redis at maxmemory refuses writes or evicts keys. Drain backlogs (add consumers), trim streams, or give the broker more memory.",
      },
    },
    {
      alert: "MqaBrokerMemoryHigh",
      expr: `${M.memoryUsed} / ${M.memoryLimit} > 0.9`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `${node}: memory above 90% of its limit`,
        description:
          "The memory alarm comes next and blocks publishers. Drain backlogs, trim streams, or raise the limit (vm_memory_high_watermark, maxmemory) if the machine has room.",
      },
    },
    {
      alert: "MqaBrokerDiskAlarm",
      expr: `${M.diskAlarm} == 1`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: `${node}: disk alarm`,
        description:
          "Free disk is below disk_free_limit and RabbitMQ blocks every publishing connection. Free space or grow the volume, then drain the backlog.",
      },
    },
    {
      alert: "MqaBrokerNodeDown",
      expr: `${M.nodeUp} == 0`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: `${node}: node not running`,
        description:
          "Quorum queues with a replica on it run on a reduced majority; classic queues on it are unavailable. Start the node and read its log.",
      },
    },
    {
      alert: "MqaBrokerNetworkPartition",
      expr: `${M.partitions} > 0`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: `${node}: cannot reach {{ $value }} cluster node(s)`,
        description:
          "The cluster is partitioned. Check the network between the nodes and the cluster_partition_handling strategy; restart the nodes of the minority side once the network is back.",
      },
    },
    {
      alert: "MqaMonitorDown",
      expr: `${M.up} == 0 or absent(${M.up})`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "mqa monitor cannot read the broker",
        description:
          "Without samples every other alert is blind. Check the broker, the URL and the monitor's credentials.",
      },
    },
  ];
}

/** The rules as a Prometheus rule file (YAML). */
export function alertRulesYaml(): string {
  return stringify({ groups: [{ name: "mqa", rules: alertRules() }] }, { lineWidth: 0 });
}

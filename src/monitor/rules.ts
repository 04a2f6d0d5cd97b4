/**
 * Prometheus alerting rules over the monitor's metrics (`mqa monitor rules`): the same blind spots the
 * monitor reports itself, for teams whose alerts live in Prometheus/Alertmanager. Expressions use the
 * metric name constants, so renaming a metric changes the rules with it.
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

/**
 * The monitor's Prometheus metrics (prom-client), set from each snapshot. Names follow Prometheus's naming
 * conventions (base units, a unit suffix, `_total` only on counters, which the monitor has none of since
 * every figure is a level or a rate the broker reports) and are exported as {@link MetricNames}, so the
 * alert rules (rules.ts) and the Grafana dashboard (grafana.ts) are built from the same constants and
 * cannot drift from what is exposed. docs/monitor.md has the table of every metric.
 */
import { Gauge, Registry } from "prom-client";
import type { Alert } from "./alerts.js";
import type { BrokerHealth, Snapshot } from "./snapshot.js";

export const MetricNames = {
  backlog: "mqa_queue_backlog_messages",
  inFlight: "mqa_queue_in_flight_messages",
  consumers: "mqa_queue_consumers",
  publishRate: "mqa_queue_publish_messages_per_second",
  deliverRate: "mqa_queue_deliver_messages_per_second",
  ackRate: "mqa_queue_ack_messages_per_second",
  lag: "mqa_queue_lag_messages",
  oldestPending: "mqa_queue_oldest_pending_seconds",
  brokerInfo: "mqa_broker_info",
  connections: "mqa_broker_connections",
  replicas: "mqa_broker_replicas",
  nodeUp: "mqa_broker_node_up",
  memoryAlarm: "mqa_broker_node_memory_alarm",
  diskAlarm: "mqa_broker_node_disk_alarm",
  memoryUsed: "mqa_broker_node_memory_used_bytes",
  memoryLimit: "mqa_broker_node_memory_limit_bytes",
  partitions: "mqa_broker_node_partitions",
  up: "mqa_monitor_up",
  alerts: "mqa_monitor_alerts",
} as const;

/** One of the names the monitor exposes. */
export type MetricName = (typeof MetricNames)[keyof typeof MetricNames];

/** The labels each metric carries (besides those Prometheus adds, `instance` and `job`). */
export const MetricLabels = {
  queue: ["broker", "scope", "queue", "role"],
  broker: ["broker"],
  brokerInfo: ["broker", "version", "role"],
  node: ["broker", "node"],
  alerts: ["kind", "severity"],
} as const;

type QueueLabel = (typeof MetricLabels.queue)[number];
type NodeLabel = (typeof MetricLabels.node)[number];

/** A registry of its own (not prom-client's global one), refreshed by {@link MonitorMetrics.update}. */
export class MonitorMetrics {
  readonly registry = new Registry();
  private readonly backlog = this.queueGauge(
    MetricNames.backlog,
    "Messages waiting to be delivered (RabbitMQ ready, Redis group lag; a DLQ's length).",
  );
  private readonly inFlight = this.queueGauge(
    MetricNames.inFlight,
    "Messages delivered and not yet acknowledged (RabbitMQ unacked, Redis pending entries).",
  );
  private readonly consumers = this.queueGauge(
    MetricNames.consumers,
    "Consumers attached (Redis: those active in the last minute).",
  );
  private readonly publishRate = this.queueGauge(
    MetricNames.publishRate,
    "Messages published into the queue or stream per second, as the broker (or two samples) tell.",
  );
  private readonly deliverRate = this.queueGauge(
    MetricNames.deliverRate,
    "Messages handed to consumers per second (RabbitMQ deliver/get; Redis entries read by the group).",
  );
  private readonly ackRate = this.queueGauge(
    MetricNames.ackRate,
    "Messages acknowledged per second (RabbitMQ ack rate; Redis: entries read by the group minus those still pending).",
  );
  private readonly lag = this.queueGauge(
    MetricNames.lag,
    "Redis: entries added to the stream and not yet read by the group (XINFO GROUPS lag).",
  );
  private readonly oldestPending = this.queueGauge(
    MetricNames.oldestPending,
    "Redis: age of the oldest entry still pending, in seconds.",
  );
  private readonly brokerInfo = this.gauge(
    MetricNames.brokerInfo,
    "Always 1; the labels say the broker's version and, on Redis, its role (master or replica).",
    MetricLabels.brokerInfo,
  );
  private readonly connections = this.gauge(
    MetricNames.connections,
    "Client connections open on the broker.",
    MetricLabels.broker,
  );
  private readonly replicas = this.gauge(
    MetricNames.replicas,
    "Redis: replicas connected to this primary.",
    MetricLabels.broker,
  );
  private readonly nodeUp = this.nodeGauge(
    MetricNames.nodeUp,
    "1 when the node is running, 0 when the broker reports it down.",
  );
  private readonly memoryAlarm = this.nodeGauge(
    MetricNames.memoryAlarm,
    "1 while the node's memory alarm is on (RabbitMQ blocks publishers; Redis is at maxmemory).",
  );
  private readonly diskAlarm = this.nodeGauge(
    MetricNames.diskAlarm,
    "1 while the node's free disk is below its limit (RabbitMQ blocks publishers).",
  );
  private readonly memoryUsed = this.nodeGauge(MetricNames.memoryUsed, "Memory the node uses, in bytes.");
  private readonly memoryLimit = this.nodeGauge(
    MetricNames.memoryLimit,
    "Memory at which the node raises its alarm (RabbitMQ high watermark, Redis maxmemory), in bytes.",
  );
  private readonly partitions = this.nodeGauge(
    MetricNames.partitions,
    "RabbitMQ: cluster nodes this node cannot reach (above 0: a network partition).",
  );
  private readonly up = new Gauge({
    name: MetricNames.up,
    help: "1 when the last sample of the broker succeeded, 0 when it failed.",
    registers: [this.registry],
  });
  private readonly alerts = this.gauge(
    MetricNames.alerts,
    "Alerts the monitor raised at its last sample, by kind and severity.",
    MetricLabels.alerts,
  );

  private gauge<L extends string>(name: string, help: string, labels: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames: labels, registers: [this.registry] });
  }

  private queueGauge(name: string, help: string): Gauge<QueueLabel> {
    return this.gauge(name, help, MetricLabels.queue);
  }

  private nodeGauge(name: string, help: string): Gauge<NodeLabel> {
    return this.gauge(name, help, MetricLabels.node);
  }

  /** Replace every series with what `snapshot` shows (queues and nodes that vanished disappear). */
  update(snapshot: Snapshot, alerts: readonly Alert[]): void {
    for (const g of [
      this.backlog,
      this.inFlight,
      this.consumers,
      this.publishRate,
      this.deliverRate,
      this.ackRate,
      this.lag,
      this.oldestPending,
    ])
      g.reset();
    for (const q of snapshot.queues) {
      const labels = { broker: q.broker, scope: q.scope, queue: q.name, role: q.role };
      this.backlog.set(labels, q.backlog);
      this.inFlight.set(labels, q.inFlight);
      this.consumers.set(labels, q.consumers);
      if (q.publishRate !== undefined) this.publishRate.set(labels, q.publishRate);
      if (q.deliverRate !== undefined) this.deliverRate.set(labels, q.deliverRate);
      if (q.ackRate !== undefined) this.ackRate.set(labels, q.ackRate);
      if (q.lag !== undefined) this.lag.set(labels, q.lag);
      if (q.oldestPendingMs !== undefined) this.oldestPending.set(labels, q.oldestPendingMs / 1000);
    }
    this.setHealth(snapshot.health);
    this.alerts.reset();
    const counts = new Map<string, { kind: string; severity: string; n: number }>();
    for (const a of alerts) {
      const k = `${a.kind}/${a.severity}`;
      const c = counts.get(k) ?? { kind: a.kind, severity: a.severity, n: 0 };
      c.n++;
      counts.set(k, c);
    }
    for (const c of counts.values()) this.alerts.set({ kind: c.kind, severity: c.severity }, c.n);
    this.up.set(1);
  }

  /** The broker's own series; all absent when the sample could not read the broker's health. */
  private setHealth(health: BrokerHealth | undefined): void {
    const nodeGauges = [
      this.nodeUp,
      this.memoryAlarm,
      this.diskAlarm,
      this.memoryUsed,
      this.memoryLimit,
      this.partitions,
    ];
    for (const g of [this.brokerInfo, this.connections, this.replicas, ...nodeGauges]) g.reset();
    if (health === undefined) return;
    const broker = { broker: health.broker };
    this.brokerInfo.set({ ...broker, version: health.version ?? "", role: health.role ?? "" }, 1);
    if (health.connections !== undefined) this.connections.set(broker, health.connections);
    if (health.replicas !== undefined) this.replicas.set(broker, health.replicas);
    for (const node of health.nodes) {
      const labels = { ...broker, node: node.name };
      this.nodeUp.set(labels, node.running ? 1 : 0);
      this.memoryAlarm.set(labels, node.memoryAlarm ? 1 : 0);
      this.diskAlarm.set(labels, node.diskAlarm ? 1 : 0);
      this.partitions.set(labels, node.partitions.length);
      if (node.memoryUsedBytes !== undefined) this.memoryUsed.set(labels, node.memoryUsedBytes);
      if (node.memoryLimitBytes !== undefined) this.memoryLimit.set(labels, node.memoryLimitBytes);
    }
  }

  /** The last sample failed: say so, keep the last known series. */
  down(): void {
    this.up.set(0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

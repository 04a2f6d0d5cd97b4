/**
 * The monitor's Prometheus metrics (prom-client), set from each snapshot. Names are exported so the alert
 * rules (rules.ts) are written against the same constants and cannot drift from what is exposed.
 */
import { Gauge, Registry } from "prom-client";
import type { Alert } from "./alerts.js";
import type { Snapshot } from "./snapshot.js";

export const MetricNames = {
  backlog: "mqa_queue_backlog",
  inFlight: "mqa_queue_in_flight",
  consumers: "mqa_queue_consumers",
  publishRate: "mqa_queue_publish_rate",
  ackRate: "mqa_queue_ack_rate",
  oldestPending: "mqa_queue_oldest_pending_seconds",
  up: "mqa_monitor_up",
  alerts: "mqa_monitor_alerts",
} as const;

const LABELS = ["broker", "scope", "queue", "role"] as const;
type Label = (typeof LABELS)[number];

/** A registry of its own (not prom-client's global one), refreshed by {@link MonitorMetrics.update}. */
export class MonitorMetrics {
  readonly registry = new Registry();
  private readonly backlog = this.gauge(
    MetricNames.backlog,
    "Messages waiting to be delivered (RabbitMQ ready, Redis group lag; a DLQ's length).",
  );
  private readonly inFlight = this.gauge(
    MetricNames.inFlight,
    "Delivered and not yet acknowledged (RabbitMQ unacked, Redis pending).",
  );
  private readonly consumers = this.gauge(
    MetricNames.consumers,
    "Consumers attached (Redis: active in the last minute).",
  );
  private readonly publishRate = this.gauge(MetricNames.publishRate, "Messages published per second.");
  private readonly ackRate = this.gauge(MetricNames.ackRate, "Messages acknowledged per second (RabbitMQ).");
  private readonly oldestPending = this.gauge(
    MetricNames.oldestPending,
    "Redis: age of the oldest entry still pending.",
  );
  private readonly up = new Gauge({
    name: MetricNames.up,
    help: "1 when the last sample of the broker succeeded, 0 when it failed.",
    registers: [this.registry],
  });
  private readonly alerts = new Gauge({
    name: MetricNames.alerts,
    help: "Alerts the monitor raised at its last sample, by kind and severity.",
    labelNames: ["kind", "severity"],
    registers: [this.registry],
  });

  private gauge(name: string, help: string): Gauge<Label> {
    return new Gauge({ name, help, labelNames: LABELS, registers: [this.registry] });
  }

  /** Replace every queue series with what `snapshot` shows (queues that vanished disappear). */
  update(snapshot: Snapshot, alerts: readonly Alert[]): void {
    for (const g of [
      this.backlog,
      this.inFlight,
      this.consumers,
      this.publishRate,
      this.ackRate,
      this.oldestPending,
    ])
      g.reset();
    for (const q of snapshot.queues) {
      const labels = { broker: q.broker, scope: q.scope, queue: q.name, role: q.role };
      this.backlog.set(labels, q.backlog);
      this.inFlight.set(labels, q.inFlight);
      this.consumers.set(labels, q.consumers);
      if (q.publishRate !== undefined) this.publishRate.set(labels, q.publishRate);
      if (q.ackRate !== undefined) this.ackRate.set(labels, q.ackRate);
      if (q.oldestPendingMs !== undefined) this.oldestPending.set(labels, q.oldestPendingMs / 1000);
    }
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

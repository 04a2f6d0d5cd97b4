/**
 * `mqa/monitor`: watch queue depth, consumer lag, rates and dead-letter growth on a live RabbitMQ
 * (management API) or Redis, with alerts that say what to do, Prometheus metrics, alert rules and a
 * live page. docs/monitor.md has the details.
 */
export { evaluate, defaultThresholds, resourceOf } from "./alerts.js";
export type { Alert, AlertKind, AlertThresholds } from "./alerts.js";
export { MetricLabels, MetricNames, MonitorMetrics } from "./metrics.js";
export type { MetricName } from "./metrics.js";
export { GRAFANA_SCHEMA_VERSION, grafanaDashboard, grafanaDashboardJson } from "./grafana.js";
export type {
  GrafanaDashboard,
  GrafanaDashboardOptions,
  GrafanaDataSourceRef,
  GrafanaFieldConfig,
  GrafanaGridPos,
  GrafanaPanel,
  GrafanaPanelType,
  GrafanaRow,
  GrafanaTarget,
  GrafanaValueMapping,
  GrafanaVariable,
} from "./grafana.js";
export { Monitor, createSampler } from "./monitor.js";
export type { MonitorOptions, MonitorState, Sampler, SamplerOptions } from "./monitor.js";
export { ConsoleFeed, HistoryRing, DEFAULT_HISTORY, buildView } from "./console.js";
export type * from "./console-protocol.js";
export { alertRules, alertRulesYaml } from "./rules.js";
export type { AlertRule } from "./rules.js";
export { serveMonitor } from "./server.js";
export type { MonitorServer } from "./server.js";
export type {
  BrokerHealth,
  BrokerNode,
  DeadLetterCommands,
  DeadLetterDetail,
  QueueRole,
  QueueStatus,
  ReasonCount,
  Snapshot,
} from "./snapshot.js";

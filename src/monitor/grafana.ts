/**
 * A Grafana dashboard over the monitor's Prometheus metrics (`mqa monitor --grafana`), in Grafana's classic
 * dashboard JSON model, for teams that already run Prometheus and Grafana: overview (monitor up, alerts by
 * severity, broker health, connections), queues (backlog, in flight, rates, lag, oldest pending), dead
 * letters, and broker nodes (memory, alarms, partitions). Every query is built from {@link MetricNames}, so
 * renaming a metric changes the dashboard with it. The data source is a dashboard variable, so the file
 * imports into any Grafana without editing. The tests check the output against @grafana/schema's types,
 * run its queries through `promtool`, and check the layout.
 */
import { MetricNames as M, type MetricName } from "./metrics.js";

/** The Grafana dashboard schema version the JSON is written in (Grafana 11.0; newer Grafanas migrate it). */
export const GRAFANA_SCHEMA_VERSION = 39;

/** Where a panel or variable reads from: always the dashboard's `$datasource` variable. */
export interface GrafanaDataSourceRef {
  type: "prometheus";
  uid: string;
}

export interface GrafanaGridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One Prometheus query of a panel. */
export interface GrafanaTarget {
  refId: string;
  datasource: GrafanaDataSourceRef;
  expr: string;
  legendFormat: string;
  /** Instant queries (the latest value) for stat and bar gauge panels; range queries for charts. */
  instant: boolean;
  range: boolean;
}

export interface GrafanaValueMapping {
  type: "value";
  options: Record<string, { text: string; color: string; index: number }>;
}

export interface GrafanaFieldConfig {
  defaults: {
    unit: string;
    min?: number;
    decimals?: number;
    noValue?: string;
    color: { mode: "thresholds" | "palette-classic" };
    thresholds: { mode: "absolute"; steps: { color: string; value: number | null }[] };
    mappings: GrafanaValueMapping[];
    custom?: Record<string, unknown>;
  };
  overrides: never[];
}

export type GrafanaPanelType = "stat" | "timeseries" | "bargauge" | "state-timeline";

export interface GrafanaPanel {
  id: number;
  type: GrafanaPanelType;
  title: string;
  description: string;
  datasource: GrafanaDataSourceRef;
  gridPos: GrafanaGridPos;
  targets: GrafanaTarget[];
  fieldConfig: GrafanaFieldConfig;
  /** The panel plugin's options (see Grafana's panel schemas for each `type`). */
  options: Record<string, unknown>;
}

export interface GrafanaRow {
  id: number;
  type: "row";
  title: string;
  collapsed: false;
  gridPos: GrafanaGridPos;
  panels: never[];
}

export interface GrafanaVariable {
  name: string;
  label: string;
  type: "datasource" | "query";
  query: string;
  description: string;
  hide: 0;
  refresh: 1 | 2;
  regex: string;
  datasource?: GrafanaDataSourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  sort?: 1;
  current?: { selected: boolean; text: string[]; value: string[] };
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  /** Always `null`: Grafana assigns its own id on import. */
  id: null;
  version: number;
  schemaVersion: number;
  editable: boolean;
  graphTooltip: 1;
  time: { from: string; to: string };
  refresh: string;
  timezone: string;
  links: never[];
  templating: { list: GrafanaVariable[] };
  panels: (GrafanaRow | GrafanaPanel)[];
}

export interface GrafanaDashboardOptions {
  /** @defaultValue `"mqa monitor"` */
  title?: string;
  /** Grafana's dashboard uid: importing again with the same uid replaces the dashboard. @defaultValue `"mqa-monitor"` */
  uid?: string;
}

/** The JSON text of {@link grafanaDashboard}, as `mqa monitor --grafana` prints it. */
export function grafanaDashboardJson(options: GrafanaDashboardOptions = {}): string {
  return `${JSON.stringify(grafanaDashboard(options), null, 2)}\n`;
}

const DS: GrafanaDataSourceRef = { type: "prometheus", uid: "${datasource}" };
const GRID_COLUMNS = 24;

// Label selectors over the dashboard's variables. `queue` panels leave mqa's delay levels out: they are
// plumbing, listed in the live page as one line, not 27 series.
const BROKER = `instance=~"$instance", broker=~"$broker"`;
const QUEUES = `${BROKER}, scope=~"$scope", queue=~"$queue", role!="delay"`;

/** `name{selector}`: the only way a query names a metric, so every name comes from MetricNames. */
function metric(name: MetricName, selector: string): string {
  return `${name}{${selector}}`;
}

interface PanelSpec {
  type: GrafanaPanelType;
  title: string;
  description: string;
  /** [expr, legend] pairs. */
  queries: [string, string][];
  unit?: string;
  fieldConfig?: Partial<GrafanaFieldConfig["defaults"]>;
  options?: Record<string, unknown>;
}

const GREEN_BASE = { color: "green", value: null };

function upDownMapping(up: string, down: string): GrafanaValueMapping {
  return {
    type: "value",
    options: {
      "0": { text: down, color: "red", index: 0 },
      "1": { text: up, color: "green", index: 1 },
    },
  };
}

/** Panel options per type, filled with what Grafana's panel schemas require. */
function optionsFor(type: GrafanaPanelType): Record<string, unknown> {
  const reduce = { calcs: ["lastNotNull"], fields: "", values: false };
  const legend = { calcs: [], displayMode: "list", placement: "bottom", showLegend: true };
  const tooltip = { mode: "multi", sort: "desc" };
  switch (type) {
    case "stat":
      return {
        reduceOptions: reduce,
        orientation: "auto",
        colorMode: "value",
        graphMode: "none",
        justifyMode: "auto",
        textMode: "auto",
        wideLayout: true,
        showPercentChange: false,
        percentChangeColorMode: "standard",
      };
    case "timeseries":
      return { legend, tooltip };
    case "bargauge":
      return {
        reduceOptions: reduce,
        orientation: "horizontal",
        displayMode: "basic",
        valueMode: "color",
        namePlacement: "auto",
        showUnfilled: true,
        sizing: "auto",
        minVizWidth: 8,
        minVizHeight: 16,
        maxVizHeight: 300,
        legend: { ...legend, showLegend: false },
      };
    case "state-timeline":
      return {
        legend,
        tooltip,
        rowHeight: 0.9,
        showValue: "auto",
        mergeValues: true,
        alignValue: "left",
      };
  }
}

/** The dashboard: four rows of panels laid out on Grafana's 24-column grid. */
export function grafanaDashboard(options: GrafanaDashboardOptions = {}): GrafanaDashboard {
  const panels: (GrafanaRow | GrafanaPanel)[] = [];
  let nextId = 1;
  let y = 0;
  const row = (title: string): void => {
    panels.push({
      id: nextId++,
      type: "row",
      title,
      collapsed: false,
      gridPos: { x: 0, y, w: GRID_COLUMNS, h: 1 },
      panels: [],
    });
    y += 1;
  };
  /** Panels side by side, left to right, `h` grid rows high. */
  const line = (h: number, specs: [width: number, spec: PanelSpec][]): void => {
    let x = 0;
    for (const [w, spec] of specs) {
      panels.push(panel(nextId++, { x, y, w, h }, spec));
      x += w;
    }
    y += h;
  };

  row("Overview");
  line(5, [
    [3, upStat],
    [7, alertsBySeverity],
    [3, nodesDown],
    [3, alarmsNow],
    [8, connections],
  ]);
  line(5, [
    [8, brokerInfo],
    [4, replicas],
    [12, alertsByKind],
  ]);
  row("Queues");
  line(8, [
    [12, backlog],
    [12, inFlight],
  ]);
  line(8, [
    [8, rate(M.publishRate, "Publish rate", "Messages published per second.")],
    [8, rate(M.deliverRate, "Deliver rate", "Messages handed to consumers per second.")],
    [8, rate(M.ackRate, "Ack rate", "Messages acknowledged per second (RabbitMQ).")],
  ]);
  line(8, [
    [8, consumerLag],
    [8, consumers],
    [8, oldestPending],
  ]);
  row("Dead letters");
  line(8, [
    [16, deadLetterBacklog],
    [8, deadLettersNow],
  ]);
  row("Broker nodes");
  line(8, [
    [12, memoryBytes],
    [12, memoryShare],
  ]);
  line(7, [
    [8, nodesRunning],
    [8, alarms],
    [8, partitions],
  ]);

  return {
    uid: options.uid ?? "mqa-monitor",
    title: options.title ?? "mqa monitor",
    description:
      "Queues, consumer lag, dead letters and broker health from `mqa monitor` (RabbitMQ and Redis Streams).",
    tags: ["mqa", "rabbitmq", "redis"],
    id: null,
    version: 1,
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    editable: true,
    graphTooltip: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    timezone: "browser",
    links: [],
    templating: { list: variables() },
    panels,
  };
}

function panel(id: number, gridPos: GrafanaGridPos, spec: PanelSpec): GrafanaPanel {
  const instant = spec.type === "stat" || spec.type === "bargauge";
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DS,
    gridPos,
    targets: spec.queries.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr,
      legendFormat,
      instant,
      range: !instant,
    })),
    fieldConfig: {
      defaults: {
        unit: spec.unit ?? "short",
        color: { mode: spec.type === "timeseries" ? "palette-classic" : "thresholds" },
        thresholds: { mode: "absolute", steps: [GREEN_BASE] },
        mappings: [],
        ...(spec.type === "timeseries"
          ? { custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never" } }
          : {}),
        ...spec.fieldConfig,
      },
      overrides: [],
    },
    options: { ...optionsFor(spec.type), ...spec.options },
  };
}

function variables(): GrafanaVariable[] {
  const all = { selected: true, text: ["All"], value: ["$__all"] };
  const query = (
    name: string,
    label: string,
    description: string,
    metricName: MetricName,
    selector: string,
  ): GrafanaVariable => ({
    name,
    label,
    type: "query",
    description,
    datasource: DS,
    query: `label_values(${selector === "" ? metricName : metric(metricName, selector)}, ${name})`,
    hide: 0,
    refresh: 2,
    regex: "",
    multi: true,
    includeAll: true,
    allValue: ".*",
    sort: 1,
    current: all,
  });
  return [
    {
      name: "datasource",
      label: "Data source",
      type: "datasource",
      description: "The Prometheus that scrapes `mqa monitor --port`.",
      query: "prometheus",
      hide: 0,
      refresh: 1,
      regex: "",
    },
    query("instance", "Monitor", "The monitor's scrape target (one per broker).", M.up, ""),
    query("broker", "Broker", "rabbitmq or redis.", M.backlog, `instance=~"$instance"`),
    query("scope", "Scope", "RabbitMQ vhost, Redis stream key.", M.backlog, BROKER),
    query(
      "queue",
      "Queue / group",
      "RabbitMQ queue, Redis consumer group.",
      M.backlog,
      `${BROKER}, scope=~"$scope", role!="delay"`,
    ),
  ];
}

const QUEUE_LEGEND = "{{scope}} {{queue}}";

const upStat: PanelSpec = {
  type: "stat",
  title: "Monitor",
  description: "Whether every selected monitor read its broker at its last sample.",
  queries: [[`min(${metric(M.up, `instance=~"$instance"`)})`, "up"]],
  fieldConfig: {
    mappings: [upDownMapping("UP", "DOWN")],
    thresholds: {
      mode: "absolute",
      steps: [
        { color: "red", value: null },
        { color: "green", value: 1 },
      ],
    },
  },
  options: { colorMode: "background" },
};

const alertsBySeverity: PanelSpec = {
  type: "stat",
  title: "Alerts by severity",
  description: "Alerts the monitor raised at its last sample (its own alerts, each with a fix).",
  queries: [[`sum by (severity) (${metric(M.alerts, `instance=~"$instance"`)})`, "{{severity}}"]],
  fieldConfig: {
    noValue: "none",
    thresholds: {
      mode: "absolute",
      steps: [GREEN_BASE, { color: "orange", value: 1 }],
    },
  },
  options: { textMode: "value_and_name" },
};

const nodesDown: PanelSpec = {
  type: "stat",
  title: "Nodes down",
  description: "Broker nodes reported not running.",
  queries: [[`count(${metric(M.nodeUp, BROKER)} == 0) or vector(0)`, "down"]],
  fieldConfig: {
    thresholds: { mode: "absolute", steps: [GREEN_BASE, { color: "red", value: 1 }] },
  },
};

const alarmsNow: PanelSpec = {
  type: "stat",
  title: "Alarms",
  description: "Memory and disk alarms on now (RabbitMQ blocks publishers while one is on).",
  queries: [
    [
      `(sum(${metric(M.memoryAlarm, BROKER)}) or vector(0)) + (sum(${metric(M.diskAlarm, BROKER)}) or vector(0))`,
      "alarms",
    ],
  ],
  fieldConfig: {
    thresholds: { mode: "absolute", steps: [GREEN_BASE, { color: "red", value: 1 }] },
  },
};

const connections: PanelSpec = {
  type: "timeseries",
  title: "Connections",
  description: "Client connections open on the broker.",
  queries: [[metric(M.connections, BROKER), "{{broker}} {{instance}}"]],
};

const brokerInfo: PanelSpec = {
  type: "stat",
  title: "Broker",
  description: "Broker, version and (Redis) role, as the monitor last read them.",
  queries: [[metric(M.brokerInfo, BROKER), "{{broker}} {{version}} {{role}}"]],
  options: { textMode: "name", colorMode: "none" },
};

const replicas: PanelSpec = {
  type: "stat",
  title: "Replicas",
  description: "Redis: replicas connected to this primary.",
  queries: [[metric(M.replicas, BROKER), "{{instance}}"]],
};

const alertsByKind: PanelSpec = {
  type: "timeseries",
  title: "Alerts by kind",
  description: "The monitor's alerts over time, by kind.",
  queries: [[`sum by (kind) (${metric(M.alerts, `instance=~"$instance"`)})`, "{{kind}}"]],
  fieldConfig: { min: 0, decimals: 0 },
};

const backlog: PanelSpec = {
  type: "timeseries",
  title: "Backlog",
  description: "Messages waiting to be delivered (RabbitMQ ready; Redis group lag).",
  queries: [[metric(M.backlog, `${QUEUES}, role="work"`), QUEUE_LEGEND]],
  fieldConfig: { min: 0 },
};

const inFlight: PanelSpec = {
  type: "timeseries",
  title: "In flight",
  description: "Delivered and not yet acknowledged (RabbitMQ unacked; Redis pending entries).",
  queries: [[metric(M.inFlight, QUEUES), QUEUE_LEGEND]],
  fieldConfig: { min: 0 },
};

function rate(name: MetricName, title: string, description: string): PanelSpec {
  return {
    type: "timeseries",
    title,
    description,
    queries: [[metric(name, QUEUES), QUEUE_LEGEND]],
    unit: "msg/s",
    fieldConfig: { min: 0 },
  };
}

const consumerLag: PanelSpec = {
  type: "timeseries",
  title: "Consumer lag (Redis)",
  description: "Entries added to the stream and not yet read by the group.",
  queries: [[metric(M.lag, QUEUES), QUEUE_LEGEND]],
  fieldConfig: { min: 0 },
};

const consumers: PanelSpec = {
  type: "timeseries",
  title: "Consumers",
  description: "Consumers attached (Redis: those active in the last minute).",
  queries: [[metric(M.consumers, QUEUES), QUEUE_LEGEND]],
  fieldConfig: { min: 0, decimals: 0 },
};

const oldestPending: PanelSpec = {
  type: "timeseries",
  title: "Oldest pending (Redis)",
  description: "Age of the oldest entry delivered and not acknowledged: a dead or hung consumer.",
  queries: [[metric(M.oldestPending, QUEUES), QUEUE_LEGEND]],
  unit: "s",
  fieldConfig: { min: 0 },
};

const deadLetterBacklog: PanelSpec = {
  type: "timeseries",
  title: "Dead-letter queues",
  description:
    "Messages in dead-letter queues. `mqa dlq stats` says why they died, `mqa dlq redrive` puts them back.",
  queries: [[metric(M.backlog, `${QUEUES}, role="dead-letter"`), QUEUE_LEGEND]],
  fieldConfig: { min: 0 },
};

const deadLettersNow: PanelSpec = {
  type: "bargauge",
  title: "Dead letters now",
  description: "Non-empty dead-letter queues, largest first.",
  queries: [[`sort_desc(${metric(M.backlog, `${QUEUES}, role="dead-letter"`)} > 0)`, QUEUE_LEGEND]],
  fieldConfig: {
    noValue: "no dead letters",
    thresholds: { mode: "absolute", steps: [{ color: "orange", value: null }] },
  },
};

const memoryBytes: PanelSpec = {
  type: "timeseries",
  title: "Memory used and limit",
  description: "Memory each node uses, and the limit at which its memory alarm goes on.",
  queries: [
    [metric(M.memoryUsed, BROKER), "{{node}} used"],
    [metric(M.memoryLimit, BROKER), "{{node}} limit"],
  ],
  unit: "bytes",
  fieldConfig: { min: 0 },
};

const memoryShare: PanelSpec = {
  type: "timeseries",
  title: "Memory used of limit",
  description: "Used memory as a share of the alarm limit; the alarm goes on at 100%.",
  queries: [[`${metric(M.memoryUsed, BROKER)} / ${metric(M.memoryLimit, BROKER)}`, "{{node}}"]],
  unit: "percentunit",
  fieldConfig: {
    min: 0,
    thresholds: {
      mode: "absolute",
      steps: [GREEN_BASE, { color: "orange", value: 0.8 }, { color: "red", value: 0.9 }],
    },
    custom: {
      drawStyle: "line",
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: "never",
      thresholdsStyle: { mode: "line" },
    },
  },
};

const nodesRunning: PanelSpec = {
  type: "state-timeline",
  title: "Nodes running",
  description: "Each broker node: running or down.",
  queries: [[metric(M.nodeUp, BROKER), "{{node}}"]],
  fieldConfig: { mappings: [upDownMapping("running", "down")] },
};

const alarms: PanelSpec = {
  type: "state-timeline",
  title: "Memory and disk alarms",
  description: "RabbitMQ blocks every publishing connection while an alarm is on.",
  queries: [
    [metric(M.memoryAlarm, BROKER), "{{node}} memory"],
    [metric(M.diskAlarm, BROKER), "{{node}} disk"],
  ],
  fieldConfig: {
    mappings: [
      {
        type: "value",
        options: {
          "0": { text: "ok", color: "green", index: 0 },
          "1": { text: "ALARM", color: "red", index: 1 },
        },
      },
    ],
  },
};

const partitions: PanelSpec = {
  type: "timeseries",
  title: "Network partitions",
  description: "RabbitMQ: cluster nodes each node cannot reach; above 0 the cluster is partitioned.",
  queries: [[metric(M.partitions, BROKER), "{{node}}"]],
  fieldConfig: { min: 0, decimals: 0 },
};

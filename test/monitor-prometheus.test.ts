/**
 * The monitor's Prometheus side, checked by Prometheus's own `promtool`: `mqa monitor --rules` passes
 * `promtool check rules`, each alert fires on the series it is written for (`promtool test rules`, with
 * series shaped like the monitor's), and a /metrics body from monitors sampling the real Redis and RabbitMQ
 * passes `promtool check metrics` (Prometheus's naming lint) and names only MetricNames.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetricNames, MonitorMetrics, type MetricName } from "../src/monitor/metrics.js";
import { Monitor } from "../src/monitor/monitor.js";
import { RabbitSampler } from "../src/monitor/rabbitmq.js";
import { RedisSampler } from "../src/monitor/redis.js";
import { alertRules } from "../src/monitor/rules.js";
import type { BrokerHealth, Snapshot } from "../src/monitor/snapshot.js";
import { mqa } from "./support/cli.js";
import { PROMTOOL_MISSING, findPromtool, promtoolOrSkip, runPromtool } from "./support/promtool.js";
import { RABBIT_MANAGEMENT_URL, REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const promtool = promtoolOrSkip();
const prefix = uniqueName("prom");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mqa-promtool-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await cleanupRedis(prefix);
});

/** `name{a="b",…}` in Prometheus's series notation. */
function series(name: MetricName, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;
}

/** A rule's annotation as Prometheus renders it for one alert (the rules use only these two forms). */
function render(template: string, labels: Record<string, string>, value: string): string {
  return template
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? "")
    .replace(/\{\{ \$value \}\}/g, value);
}

interface AlertCase {
  alert: string;
  /** Series fed to promtool: labels and values in promtool's expanding notation (`0+10x30`). */
  input: { name: MetricName; labels: Record<string, string>; values: string }[];
  evalTime: string;
  /** Alerts expected at evalTime: their labels (besides alertname and severity) and `$value`. */
  fires: { labels: Record<string, string>; value: string }[];
}

const target = { instance: "monitor:9464", job: "mqa" };
const queue = { ...target, broker: "rabbitmq", scope: "/", queue: "orders.billing", role: "work" };
const dlq = { ...queue, queue: "orders.billing.dlq", role: "dead-letter" };
const stream = { ...target, broker: "redis", scope: "mqa:{orders}", queue: "billing", role: "work" };
const node = { ...target, broker: "rabbitmq", node: "rabbit@n1" };
const other = { ...target, broker: "rabbitmq", node: "rabbit@n2" };

const cases: AlertCase[] = [
  {
    alert: "MqaBacklogWithoutConsumers",
    input: [
      { name: MetricNames.backlog, labels: queue, values: "50x20" },
      { name: MetricNames.consumers, labels: queue, values: "1 1 0x18" },
    ],
    evalTime: "10m",
    fires: [{ labels: queue, value: "50" }],
  },
  {
    alert: "MqaBacklogGrowing",
    input: [{ name: MetricNames.backlog, labels: queue, values: "1000+100x40" }],
    evalTime: "35m",
    fires: [{ labels: queue, value: "1.6666666666666667" }],
  },
  {
    alert: "MqaDeadLettersGrowing",
    input: [{ name: MetricNames.backlog, labels: dlq, values: "0 0 0 5x10" }],
    evalTime: "5m",
    fires: [{ labels: dlq, value: "5" }],
  },
  {
    alert: "MqaPendingStuck",
    input: [{ name: MetricNames.oldestPending, labels: stream, values: "0+60x20" }],
    evalTime: "15m",
    fires: [{ labels: stream, value: "900" }],
  },
  {
    alert: "MqaConsumerLagGrowing",
    input: [{ name: MetricNames.lag, labels: stream, values: "1000+100x60" }],
    evalTime: "40m",
    fires: [{ labels: stream, value: "5000" }],
  },
  {
    alert: "MqaBrokerMemoryAlarm",
    input: [
      { name: MetricNames.memoryAlarm, labels: node, values: "0 0 1x10" },
      { name: MetricNames.memoryAlarm, labels: other, values: "0x12" },
    ],
    evalTime: "5m",
    fires: [{ labels: node, value: "1" }],
  },
  {
    alert: "MqaBrokerMemoryHigh",
    input: [
      { name: MetricNames.memoryUsed, labels: node, values: "950x20" },
      { name: MetricNames.memoryLimit, labels: node, values: "1000x20" },
      { name: MetricNames.memoryUsed, labels: other, values: "500x20" },
      { name: MetricNames.memoryLimit, labels: other, values: "1000x20" },
    ],
    evalTime: "15m",
    fires: [{ labels: node, value: "0.95" }],
  },
  {
    alert: "MqaBrokerDiskAlarm",
    input: [{ name: MetricNames.diskAlarm, labels: node, values: "0 1x10" }],
    evalTime: "5m",
    fires: [{ labels: node, value: "1" }],
  },
  {
    alert: "MqaBrokerNodeDown",
    input: [
      { name: MetricNames.nodeUp, labels: node, values: "1 1 0x10" },
      { name: MetricNames.nodeUp, labels: other, values: "1x12" },
    ],
    evalTime: "6m",
    fires: [{ labels: node, value: "0" }],
  },
  {
    alert: "MqaBrokerNetworkPartition",
    input: [
      { name: MetricNames.partitions, labels: node, values: "0 1x10" },
      { name: MetricNames.partitions, labels: other, values: "0 1x10" },
    ],
    evalTime: "5m",
    fires: [
      { labels: node, value: "1" },
      { labels: other, value: "1" },
    ],
  },
  {
    alert: "MqaMonitorDown",
    input: [{ name: MetricNames.up, labels: target, values: "1 1 0x10" }],
    evalTime: "9m",
    fires: [{ labels: target, value: "0" }],
  },
  // Healthy figures raise nothing: the rules are not always-on.
  {
    alert: "MqaBrokerMemoryAlarm",
    input: [{ name: MetricNames.memoryAlarm, labels: node, values: "0x12" }],
    evalTime: "10m",
    fires: [],
  },
  {
    alert: "MqaConsumerLagGrowing",
    input: [{ name: MetricNames.lag, labels: stream, values: "5000x60" }],
    evalTime: "40m",
    fires: [],
  },
];

/** A promtool unit-test file for `cases` over the rule file `rulesFile`. */
function unitTests(rulesFile: string): string {
  const rules = new Map(alertRules().map((r) => [r.alert, r]));
  return stringify({
    rule_files: [rulesFile],
    evaluation_interval: "1m",
    tests: cases.map((c) => {
      const rule = rules.get(c.alert);
      if (rule === undefined) throw new Error(`no rule ${c.alert}`);
      return {
        interval: "1m",
        input_series: c.input.map((s) => ({ series: series(s.name, s.labels), values: s.values })),
        alert_rule_test: [
          {
            eval_time: c.evalTime,
            alertname: c.alert,
            exp_alerts: c.fires.map((f) => ({
              exp_labels: { ...f.labels, severity: rule.labels.severity },
              exp_annotations: {
                summary: render(rule.annotations.summary, f.labels, f.value),
                description: render(rule.annotations.description, f.labels, f.value),
              },
            })),
          },
        ],
      };
    }),
  });
}

describe("finding promtool", () => {
  it("fails under CI=true when promtool is missing, and outside CI says how to get it", () => {
    const nowhere = join(tmpdir(), "mqa-no-promtool", "promtool");
    expect(() => promtoolOrSkip({ CI: "true", PATH: "" }, nowhere)).toThrow(/ensure-services\.sh/);
    expect(promtoolOrSkip({ PATH: "" }, nowhere)).toBeUndefined();
    expect(PROMTOOL_MISSING).toMatch(/apt-get|Debian's prometheus package/);
    if (promtool !== undefined)
      expect(findPromtool({ PATH: "", MQA_PROMTOOL: promtool }, nowhere)).toBe(promtool);
  });
});

describe.skipIf(promtool === undefined)("mqa monitor and promtool", () => {
  const bin = promtool!;

  it("mqa monitor --rules passes promtool check rules, and each alert fires on its series", async () => {
    const cli = await mqa("monitor", "--rules");
    expect(cli.code, cli.stderr).toBe(0);
    const rulesFile = join(dir, "mqa-rules.yml");
    await writeFile(rulesFile, cli.stdout);
    const check = await runPromtool(bin, ["check", "rules", rulesFile]);
    expect(check.output).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(check.code, check.output).toBe(0);

    // Every rule has a case that makes it fire.
    const fired = new Set(cases.filter((c) => c.fires.length > 0).map((c) => c.alert));
    const untested = alertRules()
      .map((r) => r.alert)
      .filter((a) => !fired.has(a));
    expect(untested).toEqual([]);

    const testsFile = join(dir, "mqa-rules.test.yml");
    await writeFile(testsFile, unitTests(rulesFile));
    const unit = await runPromtool(bin, ["test", "rules", testsFile]);
    expect(unit.output).toContain("SUCCESS");
    expect(unit.code, unit.output).toBe(0);
  });

  it("promtool test rules catches a case that does not hold (the harness can fail)", async () => {
    const rulesFile = join(dir, "mqa-rules-neg.yml");
    const cli = await mqa("monitor", "--rules");
    await writeFile(rulesFile, cli.stdout);
    const wrong = stringify({
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [{ series: series(MetricNames.diskAlarm, node), values: "0x12" }],
          alert_rule_test: [
            {
              eval_time: "5m",
              alertname: "MqaBrokerDiskAlarm",
              exp_alerts: [{ exp_labels: { ...node, severity: "critical" } }],
            },
          ],
        },
      ],
    });
    const testsFile = join(dir, "mqa-rules-neg.test.yml");
    await writeFile(testsFile, wrong);
    const unit = await runPromtool(bin, ["test", "rules", testsFile]);
    expect(unit.code).not.toBe(0);
    expect(unit.output).toContain("FAILED");
  });

  it("a /metrics body from monitors on the real Redis and RabbitMQ passes promtool check metrics", async () => {
    const r = new Redis(REDIS_URL);
    const key = `${prefix}:{orders}`;
    try {
      await r.xgroup("CREATE", key, "billing", "$", "MKSTREAM");
      for (let i = 0; i < 3; i++) await r.xadd(key, "*", "p", String(i));
      await r.xreadgroup("GROUP", "billing", "worker-1", "COUNT", 1, "STREAMS", key, ">");
      await r.xadd(`${key}:dlq:billing`, "*", "reason", "poison");
    } finally {
      r.disconnect();
    }
    const bodies: Record<string, string> = {};
    for (const [broker, sampler] of [
      ["redis", new RedisSampler(REDIS_URL, { match: `${prefix}:*` })],
      ["rabbitmq", new RabbitSampler(RABBIT_MANAGEMENT_URL)],
    ] as const) {
      const monitor = new Monitor(sampler, { intervalMs: 60_000 });
      try {
        const state = await monitor.sampleOnce();
        expect(state.error, broker).toBeUndefined();
        bodies[broker] = await monitor.metrics.text();
      } finally {
        await monitor.stop();
      }
    }
    for (const [broker, body] of Object.entries(bodies)) {
      const lint = await runPromtool(bin, ["check", "metrics"], body);
      expect(lint.output, broker).toBe("");
      expect(lint.code, `${broker}: ${lint.output}`).toBe(0);
      const exposed = new Set<string>(Object.values(MetricNames));
      const names = new Set([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
      for (const name of names) expect(exposed.has(name), `${broker}: ${name}`).toBe(true);
      expect(body, broker).toContain(`${MetricNames.up} 1`);
    }
    // The queue series of the stream made above, and broker health on both brokers.
    expect(bodies["redis"]).toMatch(
      new RegExp(
        `${MetricNames.lag}\\{broker="redis",scope="${prefix}:\\{orders\\}",queue="billing",role="work"\\} 2`,
      ),
    );
    expect(bodies["redis"]).toMatch(
      new RegExp(
        `${MetricNames.inFlight}\\{broker="redis",scope="${prefix}:\\{orders\\}",queue="billing",role="work"\\} 1`,
      ),
    );
    for (const broker of ["redis", "rabbitmq"]) {
      expect(bodies[broker]).toMatch(
        new RegExp(`^${MetricNames.nodeUp}\\{broker="${broker}",node="[^"]+"\\} 1$`, "m"),
      );
      expect(bodies[broker]).toMatch(
        new RegExp(`^${MetricNames.connections}\\{broker="${broker}"\\} \\d+$`, "m"),
      );
      expect(bodies[broker]).toMatch(
        new RegExp(`^${MetricNames.memoryUsed}\\{broker="${broker}",node="[^"]+"\\} [1-9]`, "m"),
      );
    }
    expect(bodies["rabbitmq"]).toMatch(
      new RegExp(`^${MetricNames.memoryLimit}\\{broker="rabbitmq",node="[^"]+"\\} [1-9]`, "m"),
    );
    expect(bodies["redis"]).toMatch(
      new RegExp(`^${MetricNames.brokerInfo}\\{broker="redis",version="[0-9.]+",role="master"\\} 1$`, "m"),
    );
  });

  it("exposes a cluster's trouble per node: down, alarms, partitions (cases the shared broker cannot show)", async () => {
    // A node cannot be stopped or partitioned on the shared broker, so the snapshot is built here; the
    // samplers' reading of /api/nodes and INFO is tested against the real brokers above.
    const metrics = new MonitorMetrics();
    const health: BrokerHealth = {
      broker: "rabbitmq",
      version: "4.1.0",
      connections: 12,
      nodes: [
        {
          name: "rabbit@n1",
          running: true,
          memoryAlarm: true,
          diskAlarm: false,
          memoryUsedBytes: 900,
          memoryLimitBytes: 1000,
          partitions: ["rabbit@n3"],
        },
        { name: "rabbit@n2", running: true, memoryAlarm: false, diskAlarm: true, partitions: [] },
        { name: "rabbit@n3", running: false, memoryAlarm: false, diskAlarm: false, partitions: [] },
      ],
    };
    const snapshot: Snapshot = {
      at: new Date().toISOString(),
      target: "http://x",
      queues: [],
      gaps: [],
      health,
    };
    metrics.update(snapshot, []);
    const body = await metrics.text();
    const value = (name: MetricName, node: string): string | undefined =>
      new RegExp(`^${name}\\{broker="rabbitmq",node="${node}"\\} (\\S+)$`, "m").exec(body)?.[1];
    expect([1, 2, 3].map((n) => value(MetricNames.nodeUp, `rabbit@n${n}`))).toEqual(["1", "1", "0"]);
    expect([1, 2, 3].map((n) => value(MetricNames.memoryAlarm, `rabbit@n${n}`))).toEqual(["1", "0", "0"]);
    expect([1, 2, 3].map((n) => value(MetricNames.diskAlarm, `rabbit@n${n}`))).toEqual(["0", "1", "0"]);
    expect([1, 2, 3].map((n) => value(MetricNames.partitions, `rabbit@n${n}`))).toEqual(["1", "0", "0"]);
    expect(value(MetricNames.memoryUsed, "rabbit@n1")).toBe("900");
    expect(value(MetricNames.memoryUsed, "rabbit@n2")).toBeUndefined(); // unknown is absent, not 0
    expect(body).toMatch(new RegExp(`^${MetricNames.connections}\\{broker="rabbitmq"\\} 12$`, "m"));
    expect(body).toMatch(
      new RegExp(`^${MetricNames.brokerInfo}\\{broker="rabbitmq",version="4.1.0",role=""\\} 1$`, "m"),
    );
    const lint = await runPromtool(bin, ["check", "metrics"], body);
    expect(lint.code, lint.output).toBe(0);

    // A node that left the cluster drops out; a sample without health drops every broker series.
    metrics.update({ ...snapshot, health: { ...health, nodes: health.nodes.slice(0, 2) } }, []);
    const after = await metrics.text();
    expect(after).toMatch(/node="rabbit@n2"/);
    expect(after).not.toContain('node="rabbit@n3"');
    metrics.update({ ...snapshot, health: undefined }, []);
    expect(await metrics.text()).not.toMatch(/^mqa_broker_\w+\{/m);
  });

  it("promtool check metrics flags a name against the conventions (the lint can fail)", async () => {
    const bad =
      "# HELP mqa_queue_published_total Rate.\n# TYPE mqa_queue_published_total gauge\nmqa_queue_published_total 1\n";
    const lint = await runPromtool(bin, ["check", "metrics"], bad);
    expect(lint.output).toMatch(/non-counter metrics should not have "_total" suffix/);
  });
});

import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { InvalidOptionsError } from "../../core/errors.js";
import { resourceOf, type Alert } from "../../monitor/alerts.js";
import { createSampler, Monitor, type MonitorState } from "../../monitor/monitor.js";
import type { BrokerHealth } from "../../monitor/snapshot.js";
import { grafanaDashboardJson } from "../../monitor/grafana.js";
import { alertRules, alertRulesYaml } from "../../monitor/rules.js";
import { serveMonitor } from "../../monitor/server.js";
import { positiveInt } from "../args.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";

interface MonitorCliOptions extends ConnectionFlags {
  interval: number;
  history: number;
  showHosts?: boolean;
  once?: boolean;
  json?: boolean;
  port?: number;
  host: string;
  vhost?: string;
  match?: string;
  rules?: boolean;
  grafana?: boolean;
  failOn?: "critical" | "warning" | "info";
  tokenFile?: string;
  allowHost: string[];
}

/** The page's token: from `--token-file` (first line) or `MQA_MONITOR_TOKEN`, never from argv. */
async function monitorToken(file: string | undefined): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new InvalidOptionsError(`--token-file ${file}: cannot read it (${(err as Error).message})`);
    }
    const token = text.split(/\r?\n/)[0]?.trim() ?? "";
    if (token.length < 16)
      throw new InvalidOptionsError(`--token-file ${file}: the token must be at least 16 characters`);
    return token;
  }
  const env = process.env["MQA_MONITOR_TOKEN"]?.trim();
  if (env !== undefined && env !== "" && env.length < 16)
    throw new InvalidOptionsError("MQA_MONITOR_TOKEN must be at least 16 characters");
  return env === "" ? undefined : env;
}

const RANK = { info: 1, warning: 2, critical: 3 } as const;

/** `mqa monitor`: queue depth, lag, rates and dead-letter growth, with alerts, metrics and a live page. */
export function registerMonitorCommand(program: Command): void {
  const command = program
    .command("monitor")
    .description(
      "watch a live RabbitMQ (management URL) or Redis: backlog, in flight, consumers, rates, dead letters, " +
        "with alerts and their fixes; --port serves Prometheus /metrics and a live page",
    )
    .argument(
      "[target]",
      "http://user@host:15672 (RabbitMQ management) or redis://host:6379 (default: MQA_BROKER_URL)",
    )
    .option("--interval <ms>", "time between samples", positiveInt, 5000)
    .option("--once", "take one sample, report it and exit")
    .option("--json", "JSON: one object with --once, else one line per sample")
    .option(
      "--port <port>",
      "serve /metrics, /snapshot.json and the live page on this port (0: any free one)",
      (v) => Number.parseInt(v, 10),
    )
    .option("--host <host>", "address for --port (beyond loopback only with a token)", "127.0.0.1")
    .option(
      "--token-file <path>",
      "require this bearer token (the file's first line) for /, /metrics and /snapshot.json; or set MQA_MONITOR_TOKEN",
    )
    .option(
      "--allow-host <name>",
      "a host name that may reach the page besides the bound address (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      "--history <samples>",
      "samples the live page keeps for its charts (a ring buffer; 720 = an hour at 5 s)",
      positiveInt,
      720,
    )
    .option(
      "--show-hosts",
      "show internal host names (broker, nodes) on the page, in /snapshot.json and /metrics (default: aliases)",
    )
    .option("--vhost <name>", "RabbitMQ: only this virtual host")
    .option("--match <pattern>", "Redis: only streams whose key matches (SCAN pattern)")
    .option("--rules", "print Prometheus alerting rules for the monitor's metrics and exit")
    .option(
      "--grafana",
      "print a Grafana dashboard (JSON) over the monitor's metrics and exit; import it in Grafana",
    )
    .addOption(
      new Option(
        "--fail-on <severity>",
        "with --once: exit 1 when an alert is at or above this severity",
      ).choices(["critical", "warning", "info"]),
    )
    .action(async (given: string | undefined, opts: MonitorCliOptions) => {
      if (opts.rules && opts.grafana)
        throw new InvalidOptionsError(
          "--rules and --grafana each print one file: run mqa monitor once with each",
        );
      if (opts.grafana) {
        process.stdout.write(grafanaDashboardJson());
        return;
      }
      if (opts.rules) {
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ groups: [{ name: "mqa", rules: alertRules() }] }, null, 2)}\n`
            : alertRulesYaml(),
        );
        return;
      }
      if (given === undefined && !process.env["MQA_BROKER_URL"])
        throw new InvalidOptionsError(
          "mqa monitor needs a target: a management URL (http://…:15672) or redis://…, or MQA_BROKER_URL",
        );
      const target = (await resolveConnection(given, opts)).url;
      const sampler = createSampler(target, {
        ...(opts.vhost !== undefined ? { vhost: opts.vhost } : {}),
        ...(opts.match !== undefined ? { match: opts.match } : {}),
      });
      if (opts.once) {
        const monitor = new Monitor(sampler, { intervalMs: opts.interval });
        const state = await monitor.sampleOnce();
        await monitor.stop();
        if (state.error) throw new Error(state.error);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(report(monitor.target, state), null, 2)}\n`
            : render(monitor.target, state),
        );
        const threshold = opts.failOn ? RANK[opts.failOn] : Infinity;
        if (state.alerts.some((a) => RANK[a.severity] >= threshold)) process.exitCode = 1;
        return;
      }
      const monitor = new Monitor(
        sampler,
        { intervalMs: opts.interval, history: opts.history, showHosts: opts.showHosts ?? false },
        (state) => {
          if (opts.json) process.stdout.write(`${JSON.stringify(report(monitor.target, state))}\n`);
          else process.stdout.write(`${render(monitor.target, state)}\n`);
        },
      );
      const token = opts.port !== undefined ? await monitorToken(opts.tokenFile) : undefined;
      const server =
        opts.port !== undefined
          ? await serveMonitor(monitor, {
              port: opts.port,
              host: opts.host,
              allowHosts: opts.allowHost,
              ...(token !== undefined ? { token } : {}),
            })
          : undefined;
      if (server) {
        process.stderr.write(
          `mqa monitor: live page ${server.url}, Prometheus metrics ${server.url}metrics${token !== undefined ? " (bearer token required)" : ""}\n`,
        );
        if (server.exposed)
          process.stderr.write(
            token !== undefined
              ? `mqa monitor: warning: listening on ${opts.host}, reachable from other machines; the token is sent in clear over plain HTTP, so put TLS in front\n`
              : `mqa monitor: WARNING: listening on ${opts.host} without a token: anyone who can reach this port reads queue names, backlogs and alerts; set --token-file or MQA_MONITOR_TOKEN, or bind 127.0.0.1\n`,
          );
      }
      process.stderr.write(
        `mqa monitor: sampling ${monitor.target} every ${opts.interval} ms; Ctrl-C stops\n`,
      );
      monitor.start();
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await monitor.stop();
      await server?.close();
    });
  addConnectionOptions(command);
}

function report(target: string, state: MonitorState): object {
  return {
    target,
    at: state.snapshot?.at,
    error: state.error,
    queues: state.snapshot?.queues.map((q) => ({ resource: resourceOf(q), ...q })) ?? [],
    alerts: state.alerts,
    health: state.snapshot?.health,
    gaps: state.snapshot?.gaps ?? [],
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `  broker: RabbitMQ 4.2.1 · 3 connections · rabbit@a up · rabbit@b DOWN`, and alarms in capitals. */
function healthLine(health: BrokerHealth | undefined): string | undefined {
  if (health === undefined) return undefined;
  const parts = [
    `${health.broker === "rabbitmq" ? "RabbitMQ" : "Redis"} ${health.version ?? "(version unknown)"}`,
  ];
  if (health.role !== undefined)
    parts.push(
      `${health.role}${health.replicas !== undefined ? ` with ${plural(health.replicas, "replica")}` : ""}`,
    );
  if (health.connections !== undefined) parts.push(plural(health.connections, "connection"));
  for (const n of health.nodes) {
    const state = [
      n.running ? "up" : "DOWN",
      ...(n.memoryAlarm ? ["MEMORY ALARM"] : []),
      ...(n.diskAlarm ? ["DISK ALARM"] : []),
      ...(n.partitions.length > 0 ? [`PARTITIONED from ${n.partitions.join(", ")}`] : []),
    ];
    if (health.broker === "rabbitmq" || state.length > 1) parts.push(`${n.name} ${state.join(" ")}`);
  }
  return `  broker: ${parts.join(" · ")}`;
}

const fmt = (n: number | undefined): string =>
  n === undefined ? "–" : n < 10 ? n.toFixed(1) : String(Math.round(n));

/** The text report: the queues that matter (delay levels are counted, not listed), then the alerts. */
function render(target: string, state: MonitorState): string {
  const lines: string[] = [];
  const at = state.snapshot?.at ?? new Date().toISOString();
  if (state.error) return `${at}  ${target}  sample failed: ${state.error}\n`;
  const queues = state.snapshot?.queues ?? [];
  const shown = queues.filter((q) => q.role !== "delay");
  lines.push(
    `${at}  ${target}  ${queues.length} queues/groups` +
      (shown.length < queues.length ? ` (${queues.length - shown.length} delay levels not listed)` : ""),
  );
  const health = healthLine(state.snapshot?.health);
  if (health !== undefined) lines.push(health);
  const width = Math.min(60, Math.max(14, ...shown.map((q) => resourceOf(q).length)));
  lines.push(
    `  ${"queue / group".padEnd(width)}  ${"role".padEnd(11)} ${"backlog".padStart(8)} ${"in flight".padStart(9)} ${"consumers".padStart(9)} ${"publish/s".padStart(9)} ${"ack/s".padStart(7)}`,
  );
  for (const q of shown) {
    lines.push(
      `  ${resourceOf(q).padEnd(width)}  ${q.role.padEnd(11)} ${String(q.backlog).padStart(8)} ${String(q.inFlight).padStart(9)} ${String(q.consumers).padStart(9)} ${fmt(q.publishRate).padStart(9)} ${fmt(q.ackRate).padStart(7)}`,
    );
  }
  lines.push(...alertLines(state.alerts));
  for (const gap of state.snapshot?.gaps ?? []) lines.push(`  note: ${gap}`);
  return `${lines.join("\n")}\n`;
}

function alertLines(alerts: readonly Alert[]): string[] {
  if (alerts.length === 0) return ["  no alerts"];
  const order = [...alerts].sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  return order.flatMap((a) => [
    `  ${a.severity.toUpperCase().padEnd(8)} ${a.message}`,
    `           fix: ${a.fix}`,
  ]);
}

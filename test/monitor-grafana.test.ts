/**
 * `mqa monitor --grafana`: the dashboard JSON is checked three ways. (1) Grafana's own model: the printed
 * JSON is compiled as a literal against @grafana/schema's `Dashboard` type and, panel by panel, its panel
 * plugins' `Options` types (the types Grafana generates from its CUE schemas; no JSON schema of the
 * dashboard is published on the npm registry, see docs/decisions/0062-grafana-dashboard-checks.md).
 * (2) Structure: unique ids, a grid that fits 24 columns without overlaps, variables defined before use,
 * every data source the `$datasource` variable, only MetricNames in queries. (3) PromQL: every query and
 * variable selector parses and type-checks in `promtool check rules`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GRAFANA_SCHEMA_VERSION,
  grafanaDashboard,
  grafanaDashboardJson,
  type GrafanaDashboard,
  type GrafanaPanel,
  type GrafanaRow,
} from "../src/monitor/grafana.js";
import { MetricNames } from "../src/monitor/metrics.js";
import { mqa } from "./support/cli.js";
import { promtoolOrSkip, runPromtool } from "./support/promtool.js";

const root = new URL("..", import.meta.url).pathname;
const promtool = promtoolOrSkip();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mqa-grafana-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The panel plugins' option types in @grafana/schema, by panel type. */
const OPTION_TYPES: Record<GrafanaPanel["type"], string> = {
  stat: "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen",
  timeseries: "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
  bargauge: "@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen",
  "state-timeline":
    "@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen",
};

/**
 * TypeScript source that declares `json` (a dashboard as parsed JSON) with Grafana's types. Grafana's
 * string enums (`ThresholdsMode.Absolute`…) are what the JSON holds as plain strings, so `Plain<T>` turns
 * every enum into the union of its values; everything else, unknown properties included, is checked as
 * Grafana's types say.
 */
function schemaCheckSource(json: unknown): string {
  const dashboard = json as { panels: { type: string; options?: unknown; fieldConfig?: unknown }[] };
  // Stat and bar gauge panels have no custom field config; time series and state timeline do.
  const imports = Object.entries(OPTION_TYPES).map(([type, path], i) =>
    i === 1 || i === 3
      ? `import type { Options as O${i}, FieldConfig as F${i} } from "${path}"; // ${type}`
      : `import type { Options as O${i} } from "${path}"; // ${type}`,
  );
  const typeIndex = Object.keys(OPTION_TYPES);
  const panelChecks = dashboard.panels.flatMap((p, n) => {
    const i = typeIndex.indexOf(p.type);
    if (i < 0) return []; // rows: checked by Dashboard itself
    const custom = (p.fieldConfig as { defaults?: { custom?: unknown } } | undefined)?.defaults?.custom;
    return [
      `export const options${n}: Plain<O${i}> = ${JSON.stringify(p.options)};`,
      ...(i === 1 || i === 3
        ? [`export const custom${n}: Plain<F${i}> = ${JSON.stringify(custom ?? {})};`]
        : []),
    ];
  });
  return [
    `import type { Dashboard } from "@grafana/schema";`,
    ...imports,
    `type Plain<T> = T extends string ? \`\${T}\` : T extends number | boolean | null | undefined ? T :`,
    `  T extends readonly (infer E)[] ? Plain<E>[] : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;`,
    `export const dashboard: Plain<Dashboard> = ${JSON.stringify(json, null, 2)};`,
    ...panelChecks,
  ].join("\n");
}

/** Compile `source` as a module inside the project (so @grafana/schema resolves); its diagnostics. */
function typeErrors(source: string): string[] {
  const file = join(root, "test", "__grafana_schema_check__.ts");
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram({ rootNames: [file], options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

const isRow = (p: GrafanaRow | GrafanaPanel): p is GrafanaRow => p.type === "row";

describe("mqa monitor --grafana", () => {
  it("prints a dashboard that compiles against @grafana/schema's Dashboard and panel option types", async () => {
    const cli = await mqa("monitor", "--grafana");
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(grafanaDashboardJson());
    const json = JSON.parse(cli.stdout) as GrafanaDashboard;
    expect(json.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(json.schemaVersion).toBe(GRAFANA_SCHEMA_VERSION);
    expect(typeErrors(schemaCheckSource(json))).toEqual([]);
  }, 60_000);

  it("the schema check rejects what Grafana's types reject (it can fail)", () => {
    type Json = Record<string, unknown> & GrafanaDashboard;
    const firstOf = (d: Json, type: GrafanaPanel["type"]): GrafanaPanel =>
      d.panels.find((p) => p.type === type) as GrafanaPanel;
    const breakages: [string, (d: Json) => void, RegExp][] = [
      [
        "a property Grafana does not know",
        (d) => (d["refreshInterval"] = "30s"),
        /refreshInterval\W+ does not exist/,
      ],
      [
        "a string schema version",
        (d) => ((d as Record<string, unknown>)["schemaVersion"] = "39"),
        /'string' is not assignable to type 'number'/,
      ],
      [
        "a grid width as text",
        (d) => ((firstOf(d, "timeseries").gridPos as unknown as Record<string, unknown>)["w"] = "12"),
        /'string' is not assignable to type 'number'/,
      ],
      [
        "a stat color mode Grafana lacks",
        (d) => (firstOf(d, "stat").options["colorMode"] = "rainbow"),
        /"rainbow"/,
      ],
      [
        "a time series legend without its required fields",
        (d) => (firstOf(d, "timeseries").options["legend"] = { showLegend: true }),
        /missing the following properties .*calcs/,
      ],
      [
        "a variable of an unknown type",
        (d) => ((d.templating.list[1] as { type: string }).type = "dropdown"),
        /"dropdown"/,
      ],
    ];
    for (const [what, breakIt, expected] of breakages) {
      const broken = JSON.parse(grafanaDashboardJson()) as Json;
      breakIt(broken);
      expect(typeErrors(schemaCheckSource(broken)).join("\n"), what).toMatch(expected);
    }
  }, 120_000);

  it("lays out unique panels on the 24-column grid without overlaps, rows in order", () => {
    const d = grafanaDashboard();
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(Number.isInteger(x) && Number.isInteger(y) && w > 0 && h > 0, p.title).toBe(true);
      expect(x >= 0 && x + w <= 24, `${p.title}: x ${x} w ${w}`).toBe(true);
    }
    for (const [i, a] of d.panels.entries())
      for (const b of d.panels.slice(i + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        expect(apart, `${a.title} overlaps ${b.title}`).toBe(true);
      }
    expect(d.panels.filter(isRow).map((r) => r.title)).toEqual([
      "Overview",
      "Queues",
      "Dead letters",
      "Broker nodes",
    ]);
    // Panels come in reading order, so a row's panels are those between it and the next row.
    const ys = d.panels.map((p) => p.gridPos.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    const titlesUnder = (row: string): string[] => {
      const start = d.panels.findIndex((p) => isRow(p) && p.title === row);
      const end = d.panels.findIndex((p, i) => i > start && isRow(p));
      return d.panels.slice(start + 1, end < 0 ? undefined : end).map((p) => p.title);
    };
    expect(titlesUnder("Overview")).toEqual(
      expect.arrayContaining(["Monitor", "Alerts by severity", "Connections", "Nodes down", "Alarms"]),
    );
    expect(titlesUnder("Queues")).toEqual(
      expect.arrayContaining(["Backlog", "In flight", "Publish rate", "Deliver rate", "Ack rate"]),
    );
    expect(titlesUnder("Queues")).toEqual(
      expect.arrayContaining(["Consumer lag (Redis)", "Oldest pending (Redis)"]),
    );
    expect(titlesUnder("Dead letters")).toEqual(expect.arrayContaining(["Dead-letter queues"]));
    expect(titlesUnder("Broker nodes")).toEqual(
      expect.arrayContaining(["Memory used and limit", "Memory and disk alarms", "Network partitions"]),
    );
  });

  it("reads only from the $datasource variable and uses only variables it defines", () => {
    const d = grafanaDashboard();
    const vars = d.templating.list;
    expect(vars[0]).toMatchObject({ name: "datasource", type: "datasource", query: "prometheus" });
    expect(vars.map((v) => v.name)).toEqual(["datasource", "instance", "broker", "scope", "queue"]);
    const ds = { type: "prometheus", uid: "${datasource}" };
    for (const v of vars.slice(1)) expect(v.datasource, v.name).toEqual(ds);
    const panels = d.panels.filter((p): p is GrafanaPanel => !isRow(p));
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual(ds);
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource, p.title).toEqual(ds);
    }
    // Every $var / ${var} anywhere in the dashboard is defined, and a variable uses only those before it.
    const builtIn = new Set(["__all", "__interval", "__rate_interval", "__range"]);
    const used = (text: string): string[] =>
      [...text.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!).filter((n) => !builtIn.has(n));
    const defined = new Set(vars.map((v) => v.name));
    for (const name of used(JSON.stringify(d))) expect(defined.has(name), `$${name}`).toBe(true);
    vars.forEach((v, i) => {
      const earlier = new Set(vars.slice(0, i).map((e) => e.name));
      for (const name of used(JSON.stringify(v)))
        expect(earlier.has(name), `${v.name} uses $${name}`).toBe(true);
    });
  });

  it("queries only metrics the monitor exports, and shows every one of them", () => {
    const d = grafanaDashboard();
    const exposed = new Set<string>(Object.values(MetricNames));
    const exprs = [
      ...d.panels.flatMap((p) => (isRow(p) ? [] : p.targets.map((t) => t.expr))),
      ...d.templating.list.map((v) => v.query),
    ];
    const shown = new Set<string>();
    for (const expr of exprs) {
      // A metric is an identifier before a selector; function names are followed by "(".
      for (const m of expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{/g)) {
        expect(exposed.has(m[1]!), `${m[1]} in ${expr}`).toBe(true);
        shown.add(m[1]!);
      }
      for (const m of expr.matchAll(/\bmqa_\w+/g)) expect(exposed.has(m[0]), m[0]).toBe(true);
    }
    expect([...exposed].filter((n) => !shown.has(n))).toEqual([]);
  });

  it("rejects --rules and --grafana together, naming both", async () => {
    const r = await mqa("monitor", "--rules", "--grafana");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rules and --grafana/);
    expect(r.stdout).toBe("");
  });
});

describe.skipIf(promtool === undefined)("the dashboard's PromQL, checked by promtool", () => {
  /** The query with the dashboard's variables replaced by what "All" sends (`.*`). */
  const resolved = (expr: string): string => expr.replace(/\$\{?\w+\}?/g, ".*");

  it("every panel query and variable selector parses and type-checks", async () => {
    const d = grafanaDashboard();
    const rules = [
      ...d.panels.flatMap((p) =>
        isRow(p)
          ? []
          : p.targets.map((t) => ({
              record: `mqa_dashboard:panel${p.id}_${t.refId}`,
              expr: resolved(t.expr),
            })),
      ),
      ...d.templating.list
        .filter((v) => v.type === "query")
        .map((v) => {
          // label_values(<selector>, label) is Grafana's, not PromQL: check the selector.
          const selector = /^label_values\((.+), (\w+)\)$/.exec(v.query);
          expect(selector, v.query).not.toBeNull();
          return { record: `mqa_dashboard:variable_${v.name}`, expr: resolved(selector![1]!) };
        }),
    ];
    const file = join(dir, "dashboard-queries.yml");
    await writeFile(file, stringify({ groups: [{ name: "mqa-dashboard", rules }] }));
    const check = await runPromtool(promtool!, ["check", "rules", file]);
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.code, check.output).toBe(0);

    // The same check refuses a broken query.
    await writeFile(
      file,
      stringify({
        groups: [{ name: "x", rules: [{ record: "x:y", expr: `sum by (severity (${MetricNames.alerts})` }] }],
      }),
    );
    expect((await runPromtool(promtool!, ["check", "rules", file])).code).not.toBe(0);
  });
});

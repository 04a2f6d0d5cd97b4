/** The benchmark report as a terminal table and as Markdown. */
import type { BenchFigure, BenchReport } from "./run.js";
import type { SweepReport } from "./sweep.js";

function num(n: number, unit: string): string {
  return unit === "msg/s" ? Math.round(n).toLocaleString("en-US") : n.toFixed(2);
}

function ratio(r: number | null): string {
  return r === null ? "–" : r.toFixed(2);
}

function header(r: BenchReport): string[] {
  return [
    "figure",
    "mqa median (min–max)",
    ...r.raws.flatMap((x) => [`${x.label} median (min–max)`, `mqa/${x.label}`]),
    ...(r.raws.length > 1 ? ["mqa/strongest"] : []),
  ];
}

function cells(r: BenchReport, f: BenchFigure): string[] {
  const side = (s: BenchFigure["mqa"]): string =>
    `${num(s.median, f.unit)} (${num(s.min, f.unit)}–${num(s.max, f.unit)})`;
  return [
    `${f.name} (${f.unit})`,
    side(f.mqa),
    ...r.raws.flatMap((x) => {
      const raw = f.raws.find((y) => y.label === x.label);
      return raw ? [side(raw.value), ratio(raw.ratio)] : ["–", "–"];
    }),
    ...(r.raws.length > 1 ? [f.headline ? `${ratio(f.ratio)} (${f.headline})` : "–"] : []),
  ];
}

function settingsLine(r: BenchReport): string {
  const s = r.settings;
  return (
    `${s.messages} msgs × ${s.size} B, ${s.rounds} rounds each side alternating, window ${s.window}, prefetch ${s.prefetch}` +
    `${s.queueType ? `, ${s.queueType} queues` : ""}${s.rawTopology ? `, raw topology ${s.rawTopology}` : ""}; ` +
    `latency: ${s.latencyMessages} msgs open-loop at ${s.rate} msg/s (${s.rateBasis})`
  );
}

function sweepRows(s: SweepReport, sides: string[]): string[][] {
  return [
    ["% of base", "rate msg/s", ...sides.map((x) => `${x} p50 / p99 ms`)],
    ...s.steps.map((step) => [
      `${step.percent}%`,
      Math.round(step.rate).toLocaleString("en-US"),
      ...sides.map((x) => {
        const p = step.points.find((y) => y.side === x);
        return !p || p.p99 === null || p.p50 === null
          ? "did not drain"
          : `${p.p50.toFixed(2)} / ${p.p99.toFixed(2)}`;
      }),
    ]),
  ];
}

function breakLines(s: SweepReport): string[] {
  return s.breaks.map((b) =>
    b.rate === null
      ? `${b.side}: p99 did not break up to ${s.steps[s.steps.length - 1]?.percent ?? 0}%`
      : `${b.side}: p99 breaks at ${b.percent}% = ${b.rate.toLocaleString("en-US")} msg/s` +
        (b.baseP99 === null
          ? ""
          : ` (base p99 ${b.baseP99.toFixed(2)} ms, threshold ${b.threshold?.toFixed(2)} ms)`),
  );
}

function sweepHeading(s: SweepReport): string {
  return `latency sweep: % of ${s.baseSide} rate (${s.base.toLocaleString("en-US")} msg/s, the slowest side); break = ${s.rule}`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map(
    (row) =>
      `  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ")}`,
  );
}

function comparisonLines(r: BenchReport): string[] {
  return r.comparisons.map((c) => `${c.figure}: ${c.of} / ${c.to} = ${ratio(c.ratio)} — ${c.what}`);
}

function sides(r: BenchReport): string[] {
  return ["mqa", ...r.raws.map((x) => x.label)];
}

/** Aligned plain-text table. */
export function formatBenchText(r: BenchReport): string {
  const lines = [
    `mqa bench on ${r.broker}${r.versions.broker ? ` (${r.versions.broker})` : ""} vs ${r.raws.length > 0 ? r.raws.map((x) => x.label).join(", ") : "no raw client"}`,
    `  ${settingsLine(r)}`,
    "",
    ...table([header(r), ...r.figures.map((f) => cells(r, f))]),
    "",
    "  client CPU per message:",
    ...table([header(r), ...r.cpu.map((f) => cells(r, f))]),
    ...(r.comparisons.length > 0 ? ["", ...comparisonLines(r).map((l) => `  ${l}`)] : []),
    ...(r.sweep
      ? [
          "",
          `  ${sweepHeading(r.sweep)}`,
          ...table(sweepRows(r.sweep, sides(r))),
          ...breakLines(r.sweep).map((l) => `  ${l}`),
        ]
      : []),
    "",
    ...r.targets.map((t) => `  ${t.met === null ? "·" : t.met ? "✓" : "✗"} ${t.goal}: ${t.detail}`),
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}

function mdTable(rows: string[][]): string[] {
  const [h, ...body] = rows;
  if (!h) return [];
  return [
    `| ${h.join(" | ")} |`,
    `| --- | ${h
      .slice(1)
      .map(() => "---:")
      .join(" | ")} |`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
  ];
}

/** Markdown section for bench/results/*.md and docs/performance.md. */
export function formatBenchMarkdown(r: BenchReport): string {
  return [
    `### ${r.broker}${r.settings.queueType ? ` (${r.settings.queueType})` : ""}, ${r.settings.size} B, ${r.settings.messages.toLocaleString("en-US")} msgs per round`,
    "",
    settingsLine(r),
    "",
    ...mdTable([header(r), ...r.figures.map((f) => cells(r, f))]),
    "",
    "Client CPU per message:",
    "",
    ...mdTable([header(r), ...r.cpu.map((f) => cells(r, f))]),
    "",
    ...(r.comparisons.length > 0 ? [...comparisonLines(r).map((l) => `- ${l}`), ""] : []),
    ...(r.sweep
      ? [
          `${sweepHeading(r.sweep)}:`,
          "",
          ...mdTable(sweepRows(r.sweep, sides(r))),
          "",
          ...breakLines(r.sweep).map((l) => `- ${l}`),
          "",
        ]
      : []),
    ...r.targets.map((t) => `- ${t.met === null ? "·" : t.met ? "✓" : "✗"} ${t.goal}: ${t.detail}`),
    ...r.notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
}

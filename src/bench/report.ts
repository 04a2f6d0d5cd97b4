/** The benchmark report as a terminal table and as Markdown. */
import type { BenchFigure, BenchReport } from "./run.js";

function num(n: number, unit: string): string {
  return unit === "ms" ? n.toFixed(2) : Math.round(n).toLocaleString("en-US");
}

function cells(f: BenchFigure): string[] {
  const side = (s: BenchFigure["mqa"] | null): string[] =>
    s ? [num(s.median, f.unit), `${num(s.min, f.unit)}–${num(s.max, f.unit)}`] : ["–", "–"];
  return [
    `${f.name} (${f.unit})`,
    ...side(f.mqa),
    ...side(f.raw),
    f.ratio === null ? "–" : f.ratio.toFixed(2),
  ];
}

function header(r: BenchReport): string[] {
  const raw = r.raw ?? "raw";
  return ["figure", "mqa median", "mqa min–max", `${raw} median`, `${raw} min–max`, "mqa/raw"];
}

function settingsLine(r: BenchReport): string {
  const s = r.settings;
  return (
    `${s.messages} msgs × ${s.size} B, ${s.rounds} rounds each side alternating, window ${s.window}, prefetch ${s.prefetch}` +
    `${s.queueType ? `, ${s.queueType} queues` : ""}; latency: ${s.latencyMessages} msgs open-loop at ${s.rate} msg/s`
  );
}

/** Aligned plain-text table. */
export function formatBenchText(r: BenchReport): string {
  const rows = [header(r), ...r.figures.map(cells)];
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  const lines = [
    `mqa bench on ${r.broker}${r.versions.broker ? ` (${r.versions.broker})` : ""} vs ${r.raw ?? "no raw client"}`,
    `  ${settingsLine(r)}`,
    "",
    ...rows.map(
      (row) =>
        `  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ")}`,
    ),
    "",
    ...r.targets.map((t) => `  ${t.met === null ? "·" : t.met ? "✓" : "✗"} ${t.goal}: ${t.detail}`),
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Markdown section for bench/results/*.md and docs/performance.md. */
export function formatBenchMarkdown(r: BenchReport): string {
  const h = header(r);
  return [
    `### ${r.broker}${r.settings.queueType ? ` (${r.settings.queueType})` : ""}, ${r.settings.size} B`,
    "",
    settingsLine(r),
    "",
    `| ${h.join(" | ")} |`,
    `| --- | ${h
      .slice(1)
      .map(() => "---:")
      .join(" | ")} |`,
    ...r.figures.map((f) => `| ${cells(f).join(" | ")} |`),
    "",
    ...r.targets.map((t) => `- ${t.met === null ? "·" : t.met ? "✓" : "✗"} ${t.goal}: ${t.detail}`),
    ...r.notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
}

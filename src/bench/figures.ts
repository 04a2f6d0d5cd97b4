/**
 * From round values to report figures: each side's median and min–max, the ratio of mqa to every raw side,
 * and the headline — the strongest baseline of each figure (the highest rate, the lowest latency or CPU),
 * so mqa is always judged against the best a raw client did in the same run.
 */
import { spread, type Spread } from "./stats.js";
import type { BenchRole } from "./target.js";

export type FigureName =
  "publish" | "consume" | "latency p50" | "latency p99" | "latency p99.9" | "publish CPU" | "consume CPU";
export type FigureUnit = "msg/s" | "ms" | "µs/msg";

/** One raw side's value of a figure and mqa's ratio to it. */
export interface RawFigure {
  label: string;
  role: BenchRole;
  value: Spread;
  /** mqa median / this side's median (null when this side's median is 0). */
  ratio: number | null;
}

/**
 * One figure, every side. `raw` and `ratio` are the headline's (null without a raw side); `raws` has
 * every raw side, in the order they ran.
 */
export interface BenchFigure {
  name: FigureName;
  unit: FigureUnit;
  better: "higher" | "lower";
  mqa: Spread;
  raw: Spread | null;
  ratio: number | null;
  /** Label of the raw side that is the headline (the strongest baseline for this figure). */
  headline: string | null;
  raws: RawFigure[];
}

/** Round values of one figure, per side label. */
export type RoundValues = ReadonlyMap<string, readonly number[]>;

const round2 = (n: number): number => Math.round(n * 100) / 100;
const ratioOf = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);

/** Build figure `name` from the rounds of `mqaLabel` and of each raw side. */
export function buildFigure(
  name: FigureName,
  unit: FigureUnit,
  values: RoundValues,
  mqaLabel: string,
  raws: ReadonlyArray<{ label: string; role: BenchRole }>,
): BenchFigure {
  const better = unit === "msg/s" ? "higher" : "lower";
  const mqa = spread((values.get(mqaLabel) ?? []).map(round2));
  const rawFigures: RawFigure[] = raws.map((r) => {
    const value = spread((values.get(r.label) ?? []).map(round2));
    return { label: r.label, role: r.role, value, ratio: ratioOf(mqa.median, value.median) };
  });
  const baselines = rawFigures.filter((r) => r.role === "baseline");
  const strongest = baselines.reduce<RawFigure | undefined>((best, r) => {
    if (!best) return r;
    const stronger =
      better === "higher" ? r.value.median > best.value.median : r.value.median < best.value.median;
    return stronger ? r : best;
  }, undefined);
  return {
    name,
    unit,
    better,
    mqa,
    raw: strongest?.value ?? null,
    ratio: strongest?.ratio ?? null,
    headline: strongest?.label ?? null,
    raws: rawFigures,
  };
}

/** A ratio between two raw sides of one figure (e.g. the broker's cost of mqa's queue arguments). */
export interface SideComparison {
  /** What the ratio shows. */
  what: string;
  figure: FigureName;
  /** `of` median / `to` median. */
  of: string;
  to: string;
  ratio: number | null;
}

/** `of` / `to` for each named figure, from the figures' medians. */
export function compareSides(
  figures: readonly BenchFigure[],
  of: string,
  to: string,
  names: readonly FigureName[],
  what: string,
): SideComparison[] {
  return names.flatMap((n) => {
    const f = figures.find((x) => x.name === n);
    const a = f?.raws.find((r) => r.label === of);
    const b = f?.raws.find((r) => r.label === to);
    return a && b ? [{ what, figure: n, of, to, ratio: ratioOf(a.value.median, b.value.median) }] : [];
  });
}

/** A target of issue 12 and whether this run met it (a report line, never a test). */
export interface BenchTargetCheck {
  goal: string;
  met: boolean | null;
  detail: string;
}

/** Issue 12's throughput targets against the headline; the latency comparison at the run's rate. */
export function checkTargets(
  figures: readonly BenchFigure[],
  factor: number,
  rateNote: string,
): BenchTargetCheck[] {
  const checks: BenchTargetCheck[] = [];
  for (const n of ["publish", "consume"] as const) {
    const f = figures.find((x) => x.name === n);
    if (!f) continue;
    checks.push({
      goal: `${n} ≥ ${factor} × the strongest raw client`,
      met: f.ratio === null ? null : f.ratio >= factor,
      detail: f.ratio === null ? "no raw client" : `ratio ${f.ratio} against ${f.headline}`,
    });
  }
  const p99 = figures.find((x) => x.name === "latency p99");
  if (p99) {
    const delta = p99.raw ? Math.round((p99.mqa.median - p99.raw.median) * 1000) / 1000 : null;
    checks.push({
      goal: `end-to-end p99 ≤ raw + 1 ms at ${rateNote}`,
      met: delta === null ? null : delta <= 1,
      detail: delta === null ? "no raw client" : `mqa p99 − ${p99.headline} p99 = ${delta} ms`,
    });
  }
  return checks;
}

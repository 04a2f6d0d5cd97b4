/**
 * The latency sweep: open-loop latency rounds at rising rates, as percentages of the slowest side's
 * median rate (the lower of its publish and consume medians), every side at every rate (alternating),
 * and where each side's p99 breaks.
 *
 * Break point (documented in docs/performance.md): the first rate whose p99 exceeds
 * max(BREAK_FACTOR × the p99 at the sweep's lowest rate, BREAK_FLOOR_MS), or whose round did not drain
 * (the side fell behind the schedule for good). The floor keeps a sub-millisecond base from calling a
 * few milliseconds of scheduler noise on a shared machine a break.
 */
import { measureLatency } from "./measure.js";
import type { BenchTarget } from "./target.js";

/** p99 beyond this multiple of the lowest rate's p99 is a break. */
export const BREAK_FACTOR = 10;
/** …and beyond this many ms. */
export const BREAK_FLOOR_MS = 10;
/** Default sweep: 10 %, 20 % … 90 % of the slowest side's median rate (the lower of publish and consume). */
export const DEFAULT_SWEEP = [10, 20, 30, 40, 50, 60, 70, 80, 90] as const;
/** Seconds of sending per sweep step (capped by --messages). */
const STEP_SECONDS = 3;
/** How long a step may take to drain after its last send before it counts as not sustained. */
const STEP_DRAIN_MS = 10_000;

/** One side at one rate. `p50`/`p99` are null when the round did not drain. */
export interface SweepPoint {
  side: string;
  p50: number | null;
  p99: number | null;
  /** Rate the sender achieved, msg/s (null when the round failed). */
  sentRate: number | null;
  /** Why the round has no figures. */
  error?: string;
}

export interface SweepStep {
  percent: number;
  /** Target rate, msg/s. */
  rate: number;
  messages: number;
  points: SweepPoint[];
}

/** Where a side's p99 broke, by the rule above. */
export interface SweepBreak {
  side: string;
  /** p99 at the lowest rate, ms (null when even that round failed). */
  baseP99: number | null;
  threshold: number | null;
  /** First rate that broke, msg/s; null when no step broke. */
  rate: number | null;
  percent: number | null;
}

export interface SweepReport {
  /** msg/s the percentages are of: the lowest median publish or consume rate of any side. */
  base: number;
  /** Side (and figure) whose rate is the base. */
  baseSide: string;
  steps: SweepStep[];
  breaks: SweepBreak[];
  rule: string;
}

/** The break point of `side` in `steps` (sorted by rate). */
export function breakPoint(steps: readonly SweepStep[], side: string): SweepBreak {
  const points = steps.map((s) => ({ step: s, point: s.points.find((p) => p.side === side) }));
  const base = points[0]?.point?.p99 ?? null;
  const threshold = base === null ? null : Math.max(BREAK_FACTOR * base, BREAK_FLOOR_MS);
  for (const { step, point } of points) {
    const broke = !point || point.p99 === null || (threshold !== null && point.p99 > threshold);
    if (broke) return { side, baseP99: base, threshold, rate: step.rate, percent: step.percent };
  }
  return { side, baseP99: base, threshold, rate: null, percent: null };
}

/** Run the sweep over `targets` at `percents` of `base` msg/s. */
export async function runSweep(
  targets: readonly BenchTarget[],
  settings: {
    base: number;
    baseSide: string;
    percents: readonly number[];
    messages: number;
    size: number;
    prefetch: number;
  },
  openName: (step: number, t: BenchTarget) => string,
  onStep?: (step: number, steps: number, percent: number, rate: number, side: string) => void,
): Promise<SweepReport> {
  const percents = [...settings.percents].sort((a, b) => a - b);
  const base = Math.max(1, Math.round(settings.base)); // the reported base: step rates follow from it
  const steps: SweepStep[] = [];
  for (const [i, percent] of percents.entries()) {
    const rate = Math.max(1, Math.round((base * percent) / 100));
    const messages = Math.max(1, Math.min(settings.messages, Math.round(rate * STEP_SECONDS)));
    const points: SweepPoint[] = [];
    for (const t of targets) {
      onStep?.(i + 1, percents.length, percent, rate, t.label);
      const q = await t.open(openName(i, t));
      try {
        const l = await measureLatency(q, messages, settings.size, rate, settings.prefetch, STEP_DRAIN_MS);
        points.push({ side: t.label, p50: l.p50, p99: l.p99, sentRate: Math.round(l.sentRate) });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        points.push({ side: t.label, p50: null, p99: null, sentRate: null, error });
      } finally {
        await q.dispose();
      }
    }
    steps.push({ percent, rate, messages, points });
  }
  return {
    base,
    baseSide: settings.baseSide,
    steps,
    breaks: targets.map((t) => breakPoint(steps, t.label)),
    rule: `p99 > max(${BREAK_FACTOR} × p99 at the lowest rate, ${BREAK_FLOOR_MS} ms), or the round did not drain within ${STEP_DRAIN_MS / 1000} s`,
  };
}

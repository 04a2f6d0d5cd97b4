/**
 * `runBench`: mqa against the raw client in one run, alternating rounds A B A B with identical
 * settings; medians, min–max and the mqa/raw ratio per figure. Throughput rounds come first; the
 * latency rounds then run open-loop at a fixed rate (by default half the raw client's median publish
 * rate, the point the latency target is defined at).
 */
import { randomBytes } from "node:crypto";
import { cpus, totalmem, type as osType, release } from "node:os";
import { readFileSync } from "node:fs";
import { maskUrl } from "../core/redact.js";
import type { LatencyFigures } from "./measure.js";
import { measureConsume, measureLatency, measurePublish } from "./measure.js";
import type { BenchOptions } from "./options.js";
import { resolveBenchOptions } from "./options.js";
import { spread } from "./stats.js";
import type { Spread } from "./stats.js";
import type { BenchTarget } from "./target.js";
import { benchSides } from "./targets.js";

/** One figure, both sides. `ratio` is mqa / raw of the medians (null without a raw side). */
export interface BenchFigure {
  name: "publish" | "consume" | "latency p50" | "latency p99" | "latency p99.9";
  unit: "msg/s" | "ms";
  better: "higher" | "lower";
  mqa: Spread;
  raw: Spread | null;
  ratio: number | null;
}

/** A target from issue 6 and whether this run met it. */
export interface BenchTargetCheck {
  goal: string;
  met: boolean | null;
  detail: string;
}

export interface BenchReport {
  broker: string;
  raw: string | null;
  settings: {
    messages: number;
    size: number;
    rounds: number;
    window: number;
    prefetch: number;
    queueType: string | null;
    rate: number;
    latencyMessages: number;
  };
  figures: BenchFigure[];
  targets: BenchTargetCheck[];
  notes: string[];
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string };
  versions: { mqa: string; broker: string | null; client: string | null };
  startedAt: string;
  durationMs: number;
}

export interface BenchProgress {
  phase: string;
  round: number;
  rounds: number;
  side: string;
}

const pkgVersion = (name: string): string | null => {
  try {
    const url = name === "mqa" ? new URL("../../package.json", import.meta.url) : undefined;
    const path = url ?? new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
};

/** Run the benchmark. Never asserts anything: it reports. */
export async function runBench(
  input: BenchOptions,
  onProgress?: (p: BenchProgress) => void,
): Promise<BenchReport> {
  const o = resolveBenchOptions(input);
  const started = Date.now();
  const run = randomBytes(3).toString("hex");
  const sides = await benchSides(o);
  const order: BenchTarget[] = sides.raw ? [sides.mqa, sides.raw] : [sides.mqa];
  const results = new Map<string, { publish: number[]; consume: number[]; latency: LatencyFigures[] }>();
  for (const t of order) results.set(t.label, { publish: [], consume: [], latency: [] });
  const name = (r: number, t: BenchTarget, what: string): string => `mqa.bench.${run}.${what}${r}.${t.label}`;
  try {
    for (let r = 0; r < o.rounds; r++) {
      for (const t of order) {
        onProgress?.({ phase: "throughput", round: r + 1, rounds: o.rounds, side: t.label });
        const q = await t.open(name(r, t, "t"));
        try {
          const res = results.get(t.label) as { publish: number[]; consume: number[] };
          res.publish.push(await measurePublish(q, o.messages, o.size, o.window));
          res.consume.push(await measureConsume(q, o.messages, o.prefetch));
        } finally {
          await q.dispose();
        }
      }
    }
    const reference = results.get((sides.raw ?? sides.mqa).label)?.publish ?? [1];
    const rate = o.rate ?? Math.max(1, Math.round(spread(reference).median / 2));
    const latencyMessages = o.latencyMessages ?? Math.max(1, Math.min(o.messages, Math.round(rate * 5)));
    for (let r = 0; r < o.rounds; r++) {
      for (const t of order) {
        onProgress?.({ phase: `latency at ${rate} msg/s`, round: r + 1, rounds: o.rounds, side: t.label });
        const q = await t.open(name(r, t, "l"));
        try {
          results
            .get(t.label)
            ?.latency.push(await measureLatency(q, latencyMessages, o.size, rate, o.prefetch));
        } finally {
          await q.dispose();
        }
      }
    }
    const brokerVersion = (await sides.raw?.brokerVersion?.()) ?? null;
    const figures = buildFigures(results, sides.mqa.label, sides.raw?.label);
    return {
      broker: maskUrl(o.broker),
      raw: sides.raw?.label ?? null,
      settings: {
        messages: o.messages,
        size: o.size,
        rounds: o.rounds,
        window: o.window,
        prefetch: o.prefetch,
        queueType: new URL(o.broker).protocol.startsWith("amqp") ? o.queueType : null,
        rate,
        latencyMessages,
      },
      figures,
      targets: checkTargets(figures),
      notes: [
        ...sides.notes,
        "latency is open-loop: each message's intended send time is fixed by the rate schedule and written into the payload",
      ],
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        os: `${osType()} ${release()}`,
        node: process.version,
      },
      versions: {
        mqa: pkgVersion("mqa") ?? "unknown",
        broker: brokerVersion,
        client: sides.raw ? `${sides.raw.label} ${pkgVersion(sides.raw.label) ?? "?"}` : null,
      },
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
    };
  } finally {
    for (const t of order) await t.close().catch(() => undefined);
  }
}

function buildFigures(
  results: Map<string, { publish: number[]; consume: number[]; latency: LatencyFigures[] }>,
  mqaLabel: string,
  rawLabel: string | undefined,
): BenchFigure[] {
  const m = results.get(mqaLabel);
  const r = rawLabel ? results.get(rawLabel) : undefined;
  const figure = (
    name: BenchFigure["name"],
    unit: BenchFigure["unit"],
    pick: (x: { publish: number[]; consume: number[]; latency: LatencyFigures[] }) => number[],
  ): BenchFigure => {
    const mqa = spread(pick(m as NonNullable<typeof m>).map(round2));
    const raw = r ? spread(pick(r).map(round2)) : null;
    return {
      name,
      unit,
      better: unit === "ms" ? "lower" : "higher",
      mqa,
      raw,
      ratio: raw && raw.median > 0 ? Math.round((mqa.median / raw.median) * 1000) / 1000 : null,
    };
  };
  return [
    figure("publish", "msg/s", (x) => x.publish),
    figure("consume", "msg/s", (x) => x.consume),
    figure("latency p50", "ms", (x) => x.latency.map((l) => l.p50)),
    figure("latency p99", "ms", (x) => x.latency.map((l) => l.p99)),
    figure("latency p99.9", "ms", (x) => x.latency.map((l) => l.p999)),
  ];
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Issue 6's targets, as ratios in one run. */
function checkTargets(figures: BenchFigure[]): BenchTargetCheck[] {
  const by = (n: BenchFigure["name"]): BenchFigure => figures.find((f) => f.name === n) as BenchFigure;
  const checks: BenchTargetCheck[] = [];
  for (const n of ["publish", "consume"] as const) {
    const f = by(n);
    checks.push({
      goal: `${n} ≥ 0.9 × raw`,
      met: f.ratio === null ? null : f.ratio >= 0.9,
      detail: f.ratio === null ? "no raw client" : `ratio ${f.ratio}`,
    });
  }
  const p99 = by("latency p99");
  const delta = p99.raw ? Math.round((p99.mqa.median - p99.raw.median) * 1000) / 1000 : null;
  checks.push({
    goal: "end-to-end p99 ≤ raw + 1 ms at half of raw's maximum rate",
    met: delta === null ? null : delta <= 1,
    detail: delta === null ? "no raw client" : `mqa p99 − raw p99 = ${delta} ms`,
  });
  return checks;
}

/**
 * `runBench`: mqa against the raw clients in one run, alternating rounds (mqa, then each raw side) with
 * identical settings; medians, min–max, client CPU per message and mqa's ratio to every raw side, the
 * strongest baseline of each figure being the headline. Throughput rounds come first; the latency
 * rounds then run open-loop at a fixed rate — by default half of the lowest of every side's median
 * publish and consume rates, a rate every side sustains — and, on request, a sweep of rates finds where p99 breaks.
 */
import { randomBytes } from "node:crypto";
import { cpus, totalmem, type as osType, release } from "node:os";
import { maskUrl } from "../core/redact.js";
import {
  buildFigure,
  checkTargets,
  compareSides,
  type BenchFigure,
  type BenchTargetCheck,
  type FigureName,
  type FigureUnit,
  type SideComparison,
} from "./figures.js";
import type { LatencyFigures, RoundFigures } from "./measure.js";
import { measureConsume, measureLatency, measurePublish } from "./measure.js";
import type { BenchOptions } from "./options.js";
import { resolveBenchOptions } from "./options.js";
import { spread } from "./stats.js";
import { runSweep, type SweepReport } from "./sweep.js";
import type { BenchTarget } from "./target.js";
import { benchSides } from "./targets.js";
import { packageVersion } from "./versions.js";

export type { BenchFigure, BenchTargetCheck, RawFigure, SideComparison } from "./figures.js";

export interface BenchReport {
  broker: string;
  /** The reference raw client (the first raw side: the library mqa's transport itself uses), or null. */
  raw: string | null;
  /** Every raw side, with its role; a figure's headline is its strongest `baseline`. */
  raws: Array<{ label: string; role: "baseline" | "comparison"; client: string | null }>;
  settings: {
    messages: number;
    size: number;
    rounds: number;
    window: number;
    prefetch: number;
    queueType: string | null;
    rawTopology: string | null;
    rate: number;
    /** Why the latency rate is what it is: `--rate`, or half of which side's median publish rate. */
    rateBasis: string;
    latencyMessages: number;
  };
  /** Throughput and latency (unchanged names: publish, consume, latency p50/p99/p99.9). */
  figures: BenchFigure[];
  /** Client CPU per message, µs (`process.cpuUsage` around each throughput round). */
  cpu: BenchFigure[];
  /** Ratios between raw sides (on RabbitMQ with both topologies: the broker's cost of mqa's queue arguments). */
  comparisons: SideComparison[];
  sweep: SweepReport | null;
  targets: BenchTargetCheck[];
  notes: string[];
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string };
  versions: { mqa: string; broker: string | null; client: string | null; clients: string[] };
  /** Random id in every name this run created (`mqa.bench.<run>.…`), all removed at the end of each round. */
  run: string;
  startedAt: string;
  durationMs: number;
}

export interface BenchProgress {
  phase: string;
  /** Round (or sweep step) number, from 1. */
  round: number;
  rounds: number;
  side: string;
  /** What `round` counts. @defaultValue "round" */
  unit?: "round" | "step";
}

interface SideResults {
  publish: RoundFigures[];
  consume: RoundFigures[];
  latency: LatencyFigures[];
}

/** Run the benchmark. Never asserts anything: it reports. */
export async function runBench(
  input: BenchOptions,
  onProgress?: (p: BenchProgress) => void,
): Promise<BenchReport> {
  const o = resolveBenchOptions(input);
  const started = Date.now();
  const run = randomBytes(3).toString("hex");
  const sides = await benchSides(o);
  const order: BenchTarget[] = [sides.mqa, ...sides.raws];
  const results = new Map<string, SideResults>();
  for (const t of order) results.set(t.label, { publish: [], consume: [], latency: [] });
  const name = (r: number, t: BenchTarget, what: string): string =>
    `mqa.bench.${run}.${what}${r}.${t.label.replace(/[^a-z0-9]+/gi, "-")}`;
  const side = (t: BenchTarget): SideResults => results.get(t.label) as SideResults;
  try {
    for (let r = 0; r < o.rounds; r++) {
      for (const t of order) {
        onProgress?.({ phase: "throughput", round: r + 1, rounds: o.rounds, side: t.label });
        const q = await t.open(name(r, t, "t"));
        try {
          side(t).publish.push(await measurePublish(q, o.messages, o.size, o.window));
          side(t).consume.push(await measureConsume(q, o.messages, o.prefetch));
        } finally {
          await q.dispose();
        }
      }
    }
    // A side sustains end to end at most the slower of its median publish and consume rates; half of the
    // slowest side's is a rate every side sustains (half of the raw publish rate alone saturated mqa).
    const capacities = order.map((t) => {
      const publish = spread(side(t).publish.map((x) => x.rate)).median;
      const consume = spread(side(t).consume.map((x) => x.rate)).median;
      return {
        label: t.label,
        rate: Math.min(publish, consume),
        of: publish <= consume ? "publish" : "consume",
      };
    });
    const slowest = capacities.reduce((a, b) => (b.rate < a.rate ? b : a));
    const rate = o.rate ?? Math.max(1, Math.round(slowest.rate / 2));
    const rateBasis =
      o.rate !== undefined
        ? "--rate"
        : `half of ${slowest.label}'s median ${slowest.of} rate, the lowest of every side's publish and consume medians`;
    const latencyMessages = o.latencyMessages ?? Math.max(1, Math.min(o.messages, Math.round(rate * 5)));
    for (let r = 0; r < o.rounds; r++) {
      for (const t of order) {
        onProgress?.({ phase: `latency at ${rate} msg/s`, round: r + 1, rounds: o.rounds, side: t.label });
        const q = await t.open(name(r, t, "l"));
        try {
          side(t).latency.push(await measureLatency(q, latencyMessages, o.size, rate, o.prefetch));
        } finally {
          await q.dispose();
        }
      }
    }
    const sweep = o.sweep
      ? await runSweep(
          order,
          {
            base: slowest.rate,
            baseSide: `${slowest.label}'s median ${slowest.of}`,
            percents: o.sweep,
            messages: o.messages,
            size: o.size,
            prefetch: o.prefetch,
          },
          (step, t) => name(step, t, "s"),
          (step, steps, percent, stepRate, label) =>
            onProgress?.({
              phase: `sweep ${percent}% = ${stepRate} msg/s`,
              round: step,
              rounds: steps,
              side: label,
              unit: "step",
            }),
        )
      : null;

    const raws = sides.raws.map((t) => ({ label: t.label, role: t.role ?? "baseline" }) as const);
    const figure = (n: FigureName, unit: FigureUnit, pick: (s: SideResults) => number[]): BenchFigure =>
      buildFigure(n, unit, new Map(order.map((t) => [t.label, pick(side(t))])), sides.mqa.label, raws);
    const figures = [
      figure("publish", "msg/s", (s) => s.publish.map((x) => x.rate)),
      figure("consume", "msg/s", (s) => s.consume.map((x) => x.rate)),
      figure("latency p50", "ms", (s) => s.latency.map((l) => l.p50)),
      figure("latency p99", "ms", (s) => s.latency.map((l) => l.p99)),
      figure("latency p99.9", "ms", (s) => s.latency.map((l) => l.p999)),
    ];
    const cpu = [
      figure("publish CPU", "µs/msg", (s) => s.publish.map((x) => x.cpuUsPerMsg)),
      figure("consume CPU", "µs/msg", (s) => s.consume.map((x) => x.cpuUsPerMsg)),
    ];
    const same = sides.raws.find((t) => t.label === "amqplib");
    const plain = sides.raws.find((t) => t.label === "amqplib plain");
    const comparisons =
      same && plain
        ? compareSides(
            [...figures, ...cpu],
            same.label,
            plain.label,
            ["publish", "consume"],
            "broker-side cost of mqa's queue arguments (at-least-once dead-lettering, reject-publish, delivery limit): raw on mqa's arguments / raw on a plain queue",
          )
        : [];
    const brokerVersion = (await sides.raws[0]?.brokerVersion?.()) ?? null;
    const isAmqp = new URL(o.broker).protocol.startsWith("amqp");
    return {
      broker: maskUrl(o.broker),
      raw: sides.raws[0]?.label ?? null,
      raws: sides.raws.map((t) => ({ label: t.label, role: t.role ?? "baseline", client: t.client ?? null })),
      settings: {
        messages: o.messages,
        size: o.size,
        rounds: o.rounds,
        window: o.window,
        prefetch: o.prefetch,
        queueType: isAmqp ? o.queueType : null,
        rawTopology: isAmqp ? o.rawTopology : null,
        rate,
        rateBasis,
        latencyMessages,
      },
      figures,
      cpu,
      comparisons,
      sweep,
      targets: sides.raws.length > 0 ? checkTargets(figures, sides.targetFactor, rateBasis) : [],
      notes: [
        ...sides.notes,
        "latency is open-loop: each message's intended send time is fixed by the rate schedule and written into the payload",
        "CPU is this process's user + system time per message during a throughput round; every side runs in this one process, one after another",
      ],
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        os: `${osType()} ${release()}`,
        node: process.version,
      },
      versions: {
        mqa: packageVersion("mqa") ?? "unknown",
        broker: brokerVersion,
        client: sides.raws[0]?.client ?? null,
        clients: [...new Set(sides.raws.map((t) => t.client).filter((c): c is string => c !== undefined))],
      },
      run,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
    };
  } finally {
    for (const t of order) await t.close().catch(() => undefined);
  }
}

/**
 * `mqa bench` against several raw baselines, the CPU figures, the latency sweep, the RabbitMQ raw topologies
 * and the memory figure, on memory://, the shared Redis and the shared RabbitMQ, with tiny numbers (a few
 * hundred messages, one round). Checks the report's shape and that every ratio is computed from the medians;
 * never a timing threshold. Every run uses names with a random id and removes them; each test checks that.
 */
import amqplib from "amqplib";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { AMQP_URL } from "./support/amqp.js";
import { mqa } from "./support/cli.js";

const REDIS_URL = "redis://127.0.0.1:6379";

interface Spread {
  median: number;
  rounds: number[];
}
interface Figure {
  name: string;
  unit: string;
  better: "higher" | "lower";
  mqa: Spread;
  raw: Spread | null;
  ratio: number | null;
  headline: string | null;
  raws: Array<{ label: string; role: string; value: Spread; ratio: number | null }>;
}
interface SweepReport {
  base: number;
  baseSide: string;
  steps: Array<{ percent: number; rate: number; points: Array<{ side: string; p99: number | null }> }>;
  breaks: Array<{ side: string; threshold: number | null; percent: number | null }>;
  rule: string;
}
interface Report {
  run: string;
  raw: string | null;
  raws: Array<{ label: string; role: string; client: string | null }>;
  settings: { rate: number; rateBasis: string; rawTopology: string | null };
  figures: Figure[];
  cpu: Figure[];
  comparisons: Array<{ figure: string; of: string; to: string; ratio: number | null }>;
  sweep: SweepReport | null;
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;

async function bench(...args: string[]): Promise<Report> {
  const r = await mqa("bench", ...args, "--json");
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).not.toContain("guest:guest");
  return JSON.parse(r.stdout) as Report;
}

/** Every figure's per-raw ratios and headline follow from the medians. */
function expectRatiosFromMedians(report: Report): void {
  for (const f of [...report.figures, ...report.cpu]) {
    expect(f.mqa.rounds.length).toBeGreaterThan(0);
    for (const r of f.raws) expect(r.ratio).toBe(ratio(f.mqa.median, r.value.median));
    const baselines = f.raws.filter((r) => r.role === "baseline");
    const best = [...baselines].sort((a, b) =>
      f.better === "higher" ? b.value.median - a.value.median : a.value.median - b.value.median,
    )[0];
    expect(f.headline).toBe(best?.label ?? null);
    expect(f.ratio).toBe(best ? ratio(f.mqa.median, best.value.median) : null);
    expect(f.raw?.median ?? null).toBe(best?.value.median ?? null);
  }
}

/** The default rate is half the slowest side's lower median of publish and consume (±1 for rounding). */
function expectDefaultRate(report: Report): void {
  const sides = ["mqa", ...report.raws.map((r) => r.label)];
  const pick = (name: string, side: string): number => {
    const f = report.figures.find((x) => x.name === name) as Figure;
    return side === "mqa"
      ? f.mqa.median
      : (f.raws.find((r) => r.label === side) as { value: Spread }).value.median;
  };
  const capacities = sides.map((s) => ({ s, rate: Math.min(pick("publish", s), pick("consume", s)) }));
  const slowest = capacities.reduce((a, b) => (b.rate < a.rate ? b : a));
  expect(Math.abs(report.settings.rate - Math.round(slowest.rate / 2))).toBeLessThanOrEqual(1);
  expect(report.settings.rateBasis).toContain(`half of ${slowest.s}'s median`);
}

function expectSweep(report: Report, percents: number[]): void {
  const sides = ["mqa", ...report.raws.map((r) => r.label)];
  const sweep = report.sweep as SweepReport;
  expect(sweep.steps.map((s) => s.percent)).toEqual(percents);
  for (const step of sweep.steps) {
    expect(step.rate).toBe(Math.max(1, Math.round((sweep.base * step.percent) / 100)));
    expect(step.points.map((p) => p.side)).toEqual(sides);
  }
  expect(sweep.breaks.map((b) => b.side)).toEqual(sides);
  expect(sweep.rule).toMatch(/p99 >/);
}

async function redisKeysOf(id: string): Promise<string[]> {
  const client = new Redis(REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "MATCH", `*${id}*`, "COUNT", 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    return keys;
  } finally {
    client.disconnect();
  }
}

/** Which of `queues` still exist on the shared RabbitMQ. */
async function existingQueues(queues: string[]): Promise<string[]> {
  const c = await amqplib.connect(AMQP_URL);
  c.on("error", () => undefined);
  const left: string[] = [];
  try {
    for (const q of queues) {
      const ch = await c.createChannel();
      ch.on("error", () => undefined);
      const exists = await ch.checkQueue(q).then(
        () => true,
        () => false,
      );
      if (exists) {
        left.push(q);
        await ch.close();
      }
    }
  } finally {
    await c.close();
  }
  return left;
}

describe("mqa bench: baselines, CPU, sweep (memory://)", () => {
  it("reports CPU per message and a sweep with break points, no ratios without a raw side", async () => {
    const report = await bench(
      "--broker",
      "memory://",
      "--messages",
      "300",
      "--rounds",
      "1",
      "--sweep",
      "20,60",
    );
    expect(report.raws).toEqual([]);
    expect(report.cpu.map((f) => [f.name, f.unit])).toEqual([
      ["publish CPU", "µs/msg"],
      ["consume CPU", "µs/msg"],
    ]);
    for (const f of report.cpu) {
      expect(f.mqa.median).toBeGreaterThan(0);
      expect(f.ratio).toBeNull();
    }
    expectDefaultRate(report);
    expectSweep(report, [20, 60]);
    expect(report.sweep?.baseSide).toMatch(/^mqa's median (publish|consume)$/);
  }, 90_000);
});

describe("mqa bench: Redis against ioredis and node-redis", () => {
  it("measures mqa against both raw clients, the strongest as headline, and removes its streams", async () => {
    const report = await bench("--broker", REDIS_URL, "--messages", "200", "--rounds", "1", "--sweep", "50");
    expect(report.raw).toBe("ioredis");
    expect(report.raws.map((r) => [r.label, r.role])).toEqual([
      ["ioredis", "baseline"],
      ["node-redis", "baseline"],
    ]);
    expect(report.raws[1]?.client).toMatch(/^node-redis \d/);
    expectRatiosFromMedians(report);
    expectDefaultRate(report);
    expectSweep(report, [50]);
    expect(report.comparisons).toEqual([]);
    expect(await redisKeysOf(report.run)).toEqual([]);
  }, 110_000);

  it("--raw ioredis: one raw client only", async () => {
    const report = await bench(
      "--broker",
      REDIS_URL,
      "--messages",
      "100",
      "--rounds",
      "1",
      "--raw",
      "ioredis",
    );
    expect(report.raws.map((r) => r.label)).toEqual(["ioredis"]);
    for (const f of report.figures) expect(f.headline).toBe("ioredis");
    expect(report.sweep).toBeNull();
  }, 90_000);
});

describe("mqa bench: RabbitMQ raw topologies", () => {
  it("both: amqplib on mqa's queue arguments is the headline, the plain queue a comparison with its cost ratio", async () => {
    const report = await bench("--broker", AMQP_URL, "--messages", "100", "--rounds", "1", "--rate", "200");
    expect(report.settings.rawTopology).toBe("both");
    expect(report.settings.rateBasis).toBe("--rate");
    expect(report.raws.map((r) => [r.label, r.role])).toEqual([
      ["amqplib", "baseline"],
      ["amqplib plain", "comparison"],
    ]);
    expectRatiosFromMedians(report);
    for (const f of report.figures) expect(f.headline).toBe("amqplib");
    const median = (name: string, label: string): number =>
      report.figures.find((f) => f.name === name)?.raws.find((r) => r.label === label)?.value
        .median as number;
    expect(report.comparisons.map((c) => [c.figure, c.ratio])).toEqual(
      ["publish", "consume"].map((n) => [n, ratio(median(n, "amqplib"), median(n, "amqplib plain"))]),
    );
    const base = (what: string, side: string): string => `mqa.bench.${report.run}.${what}0.${side}`;
    const queues = ["t", "l"].flatMap((w) => [
      `${base(w, "mqa")}.bench`,
      `${base(w, "mqa")}.bench.dlq`,
      `${base(w, "amqplib")}.raw`,
      `${base(w, "amqplib")}.raw.dlq`,
      `${base(w, "amqplib-plain")}.raw`,
    ]);
    expect(await existingQueues(queues)).toEqual([]);
  }, 110_000);

  it("plain: the plain queue is the only raw side, and the baseline", async () => {
    const report = await bench(
      "--broker",
      AMQP_URL,
      ...["--messages", "100", "--rounds", "1", "--rate", "200", "--raw-topology", "plain"],
    );
    expect(report.raws.map((r) => [r.label, r.role])).toEqual([["amqplib plain", "baseline"]]);
    expect(report.comparisons).toEqual([]);
    expectRatiosFromMedians(report);
  }, 90_000);
});

interface MemoryReport {
  topic: string;
  consumers: Array<{
    prefetch: number;
    backlog: number;
    consumed: number;
    peakRssMiB: number;
    rssBeforeMiB: number;
  }>;
  downBroker: { attempted: number; firstRejectedAt: number | null; error: { code: string } | null } | null;
}

describe("mqa bench --memory", () => {
  for (const [name, broker] of [
    ["memory://", "memory://"],
    ["Redis", REDIS_URL],
    ["RabbitMQ", AMQP_URL],
  ] as const) {
    it(`on ${name}: a consumer process per prefetch with its RSS, and the down-broker publisher`, async () => {
      const args = ["--broker", broker, "--memory", "--messages", "400", "--prefetches", "5,50"];
      const r = await mqa("bench", ...args, "--consume-seconds", "30", "--json");
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as MemoryReport;
      expect(report.consumers.map((c) => c.prefetch)).toEqual([5, 50]);
      for (const c of report.consumers) {
        expect(c.consumed).toBeGreaterThan(0);
        expect(c.rssBeforeMiB).toBeGreaterThan(0);
        expect(c.peakRssMiB).toBeGreaterThan(0);
      }
      if (broker === "memory://") expect(report.downBroker).toBeNull();
      else {
        expect(report.downBroker?.attempted).toBeGreaterThan(0);
        expect(report.consumers[0]?.backlog).toBe(400);
        if (broker === REDIS_URL) expect(await redisKeysOf(report.topic)).toEqual([]);
        else expect(await existingQueues([`${report.topic}.bench`, `${report.topic}.bench.dlq`])).toEqual([]);
      }
    }, 110_000);
  }
});

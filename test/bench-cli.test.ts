/**
 * Smoke test of `mqa bench`: it runs with tiny numbers and emits the JSON shape, with a `ratio` on
 * every figure. No timing is asserted: benchmarks report, they never pass or fail on speed.
 */
import { describe, expect, it } from "vitest";
import { mqa } from "./support/cli.js";

interface Figure {
  name: string;
  unit: string;
  mqa: { median: number; min: number; max: number; rounds: number[] };
  raw: { median: number } | null;
  ratio: number | null;
}

const tiny = ["--messages", "200", "--rounds", "1", "--rate", "400", "--json"];

function figuresOf(stdout: string): Figure[] {
  const report = JSON.parse(stdout) as { figures: Figure[] };
  expect(report.figures.map((f) => f.name)).toEqual([
    "publish",
    "consume",
    "latency p50",
    "latency p99",
    "latency p99.9",
  ]);
  return report.figures;
}

describe("mqa bench (smoke)", () => {
  for (const [name, broker, raw] of [
    ["RabbitMQ", process.env["MQA_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672", "amqplib"],
    ["Redis", "redis://127.0.0.1:6379", "ioredis"],
  ] as const) {
    it(`runs on ${name} and reports mqa, ${raw} and a ratio per figure`, async () => {
      const r = await mqa("bench", "--broker", broker, ...tiny);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain("guest:guest");
      expect((JSON.parse(r.stdout) as { raw: string }).raw).toBe(raw);
      for (const f of figuresOf(r.stdout)) {
        expect(f.mqa.rounds).toHaveLength(1);
        expect(f.raw).not.toBeNull();
        expect(typeof f.ratio).toBe("number");
      }
    }, 60_000);
  }

  it("runs on memory:// with mqa figures only, ratio null, and says why", async () => {
    const r = await mqa("bench", "--broker", "memory://", ...tiny);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { raw: null; notes: string[] };
    expect(report.raw).toBeNull();
    expect(report.notes.join(" ")).toMatch(/no raw client/);
    for (const f of figuresOf(r.stdout)) {
      expect(f.ratio).toBeNull();
      expect(f.raw).toBeNull();
    }
  });
});

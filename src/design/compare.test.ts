/** `mqa design --compare`: RabbitMQ and Redis Streams side by side, the deciding factors marked. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runDesign } from "../cli/commands/design.js";
import { parseOptions } from "../core/options.js";
import { compareBrokers, renderComparison } from "./compare.js";
import { requirementsSchema, type RequirementsInput } from "./requirements.js";

const compare = (input: RequirementsInput) =>
  compareBrokers(parseOptions(requirementsSchema, input, "requirements"));
const row = (c: ReturnType<typeof compare>, aspect: string) => c.rows.find((r) => r.aspect === aspect)!;

describe("broker comparison", () => {
  it("covers guarantees, latency, throughput, operations, ecosystem and cost", () => {
    const c = compare({ rate: 1000 });
    expect(c.rows.map((r) => r.aspect)).toEqual([
      "Guarantees",
      "Latency",
      "Throughput headroom",
      "Backlog and memory",
      "Operations",
      "Ecosystem",
      "Cost in machines",
    ]);
    expect(c.rows.filter((r) => r.deciding)).toEqual([]);
  });

  it("marks what decides: strict durability, a tight p99, a rate or a replay window Redis cannot hold", () => {
    const strict = compare({ rate: 1000, durability: "strict" });
    expect(row(strict, "Guarantees")).toMatchObject({ deciding: true, favours: "rabbitmq" });
    expect(strict.recommendation.choice).toBe("rabbitmq-quorum");

    const fast = compare({ rate: 1000, latencyP99Ms: 5, durability: "best-effort" });
    expect(row(fast, "Latency")).toMatchObject({ deciding: true, favours: "redis" });
    expect(fast.recommendation.choice).toBe("redis-streams");

    const busy = compare({ rate: 90_000, messageSize: 200 });
    expect(row(busy, "Throughput headroom").deciding).toBe(true);

    const replay = compare({ rate: 1000, replay: "7d" });
    expect(replay.rabbitmq).toBe("rabbitmq-stream");
    expect(row(replay, "Backlog and memory")).toMatchObject({ deciding: true, favours: "rabbitmq" });

    const onlyRedis = compare({ rate: 100, brokers: ["redis"] });
    expect(row(onlyRedis, "Operations")).toMatchObject({ deciding: true, favours: "redis" });
  });

  it("renders text and a Markdown table with the deciding factors marked", () => {
    const c = compare({ name: "payments", rate: 1000, durability: "strict" });
    const text = renderComparison(c, "text");
    expect(text).toMatch(/^mqa design --compare: payments/);
    expect(text).toMatch(/◆ Guarantees \(deciding, favours RabbitMQ quorum queues\)/);
    expect(text).toMatch(/Recommendation: RabbitMQ quorum queues/);
    const md = renderComparison(c, "markdown");
    expect(md).toContain("| Aspect | RabbitMQ quorum queues | Redis Streams |");
    expect(md).toMatch(/\| \*\*Guarantees\*\* \| \*\*◆ deciding\*\* replicated/);
  });

  it("prints a comparison, not a design: --spec-out is refused with it", async () => {
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), interactive: false };
    await expect(
      runDesign(undefined, { rate: "100", compare: true, specOut: "x.yaml", format: "text" }, io),
    ).rejects.toThrow(/--compare prints a comparison, not a design/);
    let out = "";
    io.stdout.on("data", (c: Buffer) => (out += c.toString()));
    await runDesign(undefined, { rate: "100", compare: true, json: true, format: "text" }, io);
    expect(JSON.parse(out)).toMatchObject({ rabbitmq: "rabbitmq-quorum" });
  });
});

import { describe, expect, it } from "vitest";
import { formatScaleMarkdown, type ScaleReport } from "./scale-out.js";

const report: ScaleReport = {
  date: "2026-12-03T22:00:00.000Z",
  machine: { cpus: 2, memoryGiB: 24, node: "v20.20.2" },
  messages: 1000,
  size: 256,
  cases: [
    {
      target: "redis",
      partitions: 1,
      consumers: 1,
      messages: 1000,
      publishRate: 900,
      consumeRate: 1000,
      perConsumer: [1000],
    },
    {
      target: "redis",
      partitions: 2,
      consumers: 2,
      messages: 1000,
      publishRate: 950,
      consumeRate: 1500,
      perConsumer: [500, 500],
    },
    {
      target: "rabbitmq",
      partitions: 1,
      consumers: 1,
      messages: 1000,
      publishRate: 400,
      consumeRate: 800,
      perConsumer: [1000],
    },
  ],
  failures: [{ target: "rabbitmq", partitions: 2, error: "the consumers took 10 of 1000 in 300 s" }],
};

describe("formatScaleMarkdown", () => {
  it("shows each target's rates per count, the speed-up over one consumer, gaps and failures", () => {
    const md = formatScaleMarkdown(report);
    expect(md).toContain("| target | ×1 | ×2 |");
    expect(md).toContain("| redis | 1000 (1.00×) | 1500 (1.50×) |");
    expect(md).toContain("| rabbitmq | 800 (1.00×) | – |");
    expect(md).toContain("| redis | 900 | 950 |");
    expect(md).toContain("- rabbitmq ×2: the consumers took 10 of 1000 in 300 s");
  });
});

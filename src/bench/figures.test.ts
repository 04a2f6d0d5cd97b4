import { describe, expect, it } from "vitest";
import { buildFigure, compareSides } from "./figures.js";

const values = (entries: Array<[string, number[]]>): Map<string, number[]> => new Map(entries);

describe("buildFigure", () => {
  it("takes the strongest baseline as the headline: the highest rate", () => {
    const f = buildFigure(
      "publish",
      "msg/s",
      values([
        ["mqa", [30, 10, 20]],
        ["ioredis", [40, 50, 45]],
        ["node-redis", [80, 60, 70]],
      ]),
      "mqa",
      [
        { label: "ioredis", role: "baseline" },
        { label: "node-redis", role: "baseline" },
      ],
    );
    expect(f.mqa.median).toBe(20);
    expect(f.headline).toBe("node-redis");
    expect(f.raw?.median).toBe(70);
    expect(f.ratio).toBe(Math.round((20 / 70) * 1000) / 1000);
    expect(f.raws.map((r) => [r.label, r.ratio])).toEqual([
      ["ioredis", Math.round((20 / 45) * 1000) / 1000],
      ["node-redis", Math.round((20 / 70) * 1000) / 1000],
    ]);
  });

  it("takes the lowest latency or CPU as the strongest", () => {
    const f = buildFigure(
      "publish CPU",
      "µs/msg",
      values([
        ["mqa", [20]],
        ["a", [10]],
        ["b", [12]],
      ]),
      "mqa",
      [
        { label: "a", role: "baseline" },
        { label: "b", role: "baseline" },
      ],
    );
    expect(f.better).toBe("lower");
    expect(f.headline).toBe("a");
    expect(f.ratio).toBe(2);
  });

  it("never makes a comparison side the headline, though it gets its own ratio", () => {
    const f = buildFigure(
      "publish",
      "msg/s",
      values([
        ["mqa", [9]],
        ["amqplib", [10]],
        ["amqplib plain", [20]],
      ]),
      "mqa",
      [
        { label: "amqplib", role: "baseline" },
        { label: "amqplib plain", role: "comparison" },
      ],
    );
    expect(f.headline).toBe("amqplib");
    expect(f.ratio).toBe(0.9);
    expect(f.raws[1]?.ratio).toBe(0.45);
  });

  it("has no headline and no ratio without a raw side", () => {
    const f = buildFigure("consume", "msg/s", values([["mqa", [5]]]), "mqa", []);
    expect(f).toMatchObject({ raw: null, ratio: null, headline: null, raws: [] });
  });

  it("compares two raw sides by their medians", () => {
    const f = buildFigure(
      "publish",
      "msg/s",
      values([
        ["mqa", [1]],
        ["amqplib", [6, 8, 7]],
        ["amqplib plain", [10]],
      ]),
      "mqa",
      [
        { label: "amqplib", role: "baseline" },
        { label: "amqplib plain", role: "comparison" },
      ],
    );
    expect(compareSides([f], "amqplib", "amqplib plain", ["publish", "consume"], "cost")).toEqual([
      { what: "cost", figure: "publish", of: "amqplib", to: "amqplib plain", ratio: 0.7 },
    ]);
  });
});

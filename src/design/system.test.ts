import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import { renderSystemDesign } from "./render.js";
import { systemRequirementsSchema, type SystemRequirementsInput } from "./requirements.js";
import { adviseSystem } from "./system.js";

const flows = (input: SystemRequirementsInput) =>
  parseOptions(systemRequirementsSchema, input, "requirements").flows;

describe("system design (several flows)", () => {
  it("checks flows that share one Redis together: rate and memory add up", () => {
    const fast = { messageSize: 300, durability: "best-effort" as const, latencyP99Ms: 5 };
    const s = adviseSystem(
      flows({
        flows: [
          { name: "clicks", rate: 30_000, ...fast },
          { name: "views", rate: 20_000, ...fast },
        ],
      }),
    );
    expect(s.flows.map((d) => d.choice)).toEqual(["redis-streams", "redis-streams"]);
    const redis = s.load.find((l) => l.broker === "redis")!;
    expect(redis).toMatchObject({ flows: ["clicks", "views"], rate: 50_000 });
    expect(redis.problems.join("\n")).toMatch(/above what one Redis server takes/);
    expect(redis.problems.join("\n")).toMatch(/more than the 4096 MiB/);
    // Each alone fits: the problem only exists together.
    for (const name of ["clicks", "views"]) {
      const alone = adviseSystem(
        flows({ flows: [{ name, rate: name === "clicks" ? 30_000 : 20_000, ...fast }] }),
      );
      expect(alone.load[0]!.problems).toEqual([]);
    }
  });

  it("merges every flow's topology into one valid spec, RabbitMQ and Redis side by side", () => {
    const s = adviseSystem(
      flows({
        flows: [
          { name: "payments", rate: 3000, durability: "strict", groups: ["ledger", "notify"] },
          { name: "clicks", rate: 30_000, messageSize: 300, durability: "best-effort", latencyP99Ms: 5 },
          { name: "audit", rate: 50, replay: "7d" },
        ],
      }),
    );
    expect(s.topology.rabbitmq?.vhosts?.map((v) => v.name)).toEqual(["/"]);
    expect(s.topology.rabbitmq?.topics?.map((t) => t.name)).toEqual(["payments", "audit"]);
    expect(s.topology.redis?.streams?.map((t) => t.name)).toEqual(["clicks"]);
    const text = renderSystemDesign(s, "text");
    expect(text).toMatch(/^mqa design: 3 flows/);
    for (const name of ["payments", "clicks", "audit"]) expect(text).toContain(`mqa design: ${name}`);
  });

  it("lists each flow's own assumptions", () => {
    const input = [
      { name: "payments", rate: 3000, durability: "strict" as const },
      { name: "clicks", rate: 30_000, messageSize: 300, durability: "best-effort" as const, latencyP99Ms: 5 },
    ];
    const s = adviseSystem(flows({ flows: input }), { givenPerFlow: input.map((f) => Object.keys(f)) });
    const assumed = s.flows.map((d) => d.assumptions.map((a) => a.field));
    expect(assumed[0]).toContain("messageSize");
    expect(assumed[1]).not.toContain("messageSize");
    expect(assumed[1]).toContain("ordering");
    expect(renderSystemDesign(s, "text")).toContain("Assumptions (not given; defaults used)");
  });

  it("rejects two flows with one name, naming the flow", () => {
    const twice = flows({
      flows: [
        { name: "a", rate: 1 },
        { name: "a", rate: 2 },
      ],
    });
    const err = (() => {
      try {
        adviseSystem(twice);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toMatch(/flows\.1\.name: "a" names two flows/);
  });

  it("always merges into a valid spec with one entry per flow, whatever the flows", () => {
    const flow = fc.record({
      rate: fc.integer({ min: 1, max: 100_000 }),
      messageSize: fc.integer({ min: 16, max: 1024 * 1024 }),
      durability: fc.constantFrom("strict" as const, "standard" as const, "best-effort" as const),
      ordering: fc.constantFrom("none" as const, "per-key" as const, "global" as const),
      replay: fc.constantFrom(0, "1h", "7d"),
      latencyP99Ms: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(flow, { minLength: 1, maxLength: 5 }), (list) => {
        const s = adviseSystem(flows({ flows: list.map((f, i) => ({ ...f, name: `flow-${i}` })) }));
        const names = [
          ...(s.topology.rabbitmq?.topics ?? []).map((t) => t.name),
          ...(s.topology.redis?.streams ?? []).map((t) => t.name),
        ].sort();
        expect(names).toEqual(list.map((_, i) => `flow-${i}`).sort());
        expect(s.load.flatMap((l) => l.flows).sort()).toEqual(names);
      }),
      { numRuns: 60 },
    );
  });
});

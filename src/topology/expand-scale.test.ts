/**
 * Expansion stays linear without timing anything: the costly step (a binding's identity, one stable JSON
 * each) is counted, and the fast convention is checked to build exactly the transport's resources.
 */
import { describe, expect, it, vi } from "vitest";
import type * as StableJson from "../brokers/stable-json.js";

const calls = vi.hoisted(() => ({ stableJson: 0 }));
vi.mock("../brokers/stable-json.js", async (importOriginal) => {
  const actual = await importOriginal<typeof StableJson>();
  return {
    stableJson: (value: unknown): string => {
      calls.stableJson++;
      return actual.stableJson(value);
    },
  };
});

const { expandRabbit, UniqueList } = await import("./expand-rabbit.js");
const { createRabbitConventions, defaultRabbitConventions } = await import("./rabbit-conventions.js");
const { validateSpec } = await import("../spec/parse.js");

function specOf(topics: number): ReturnType<typeof validateSpec> {
  return validateSpec({
    version: 1,
    rabbitmq: {
      vhosts: [{ name: "/" }, { name: "shop" }],
      topics: Array.from({ length: topics }, (_, i) => ({
        name: `t${i}`,
        vhost: i % 2 === 0 ? "/" : "shop",
        groups: [
          { name: "billing", retry: { attempts: 5, backoff: "exponential 1s..5m" }, bindings: [`k${i}.#`] },
          { name: "audit", deadLetter: true, retry: false },
        ],
      })),
    },
  });
}

describe("topology expansion at scale", () => {
  it("computes each resource's identity a bounded number of times per group, not once per resource held", () => {
    const count = (topics: number): number => {
      const spec = specOf(topics);
      calls.stableJson = 0;
      expandRabbit(spec, { requirePasswords: false });
      return calls.stableJson;
    };
    const small = count(200);
    const large = count(800);
    // A scan per insert hashed every binding held so far: 16x the work for 4x the topics.
    expect(large).toBeLessThanOrEqual(4 * small + 200);
    expect(large / 800).toBeLessThan(20);
  });

  it("the cached convention builds exactly what the transport's plan builds, group by group", () => {
    const fast = createRabbitConventions();
    const cases = [
      { queueType: "quorum", deadLetter: true, retry: true },
      { queueType: "quorum", deadLetter: false, retry: true, brokerVersion: "3.9.29" },
      { queueType: "classic", deadLetter: true, retry: true, brokerVersion: "3.10.8", maxDelayMs: 60_000 },
      {
        queueType: "quorum",
        deadLetter: true,
        retry: true,
        deliveryLimit: "unlimited",
        brokerVersion: "4.1.0",
      },
      { queueType: "stream", deadLetter: false, retry: false },
      { queueType: "quorum", deadLetter: true, retry: false, deliveryLimit: 5 },
    ] as const;
    for (const c of cases)
      for (const [topic, group, resources] of [
        ["orders", "billing", undefined],
        ["orders", "shipping", { queue: "legacy-shipping" }],
        ["events", "audit", { exchange: "amq.topic", bindings: [{ routingKey: "a.*" }] }],
      ] as const) {
        const input = { vhost: "shop", topic, group, ...c, ...(resources ? { resources } : {}) };
        expect(fast.group(input), `${topic}.${group} ${JSON.stringify(c)}`).toEqual(
          defaultRabbitConventions.group(input),
        );
      }
  });

  it("expands a spec to the same definitions with either convention", () => {
    const spec = specOf(30);
    const fast = expandRabbit(spec, { requirePasswords: false }).definitions;
    const reference = expandRabbit(spec, {
      requirePasswords: false,
      conventions: defaultRabbitConventions,
    }).definitions;
    expect(fast).toEqual(reference);
  });

  it("UniqueList keeps the first item of each identity", () => {
    const list = new UniqueList<{ id: string; n: number }>([{ id: "a", n: 1 }], (x) => x.id);
    expect(list.add({ id: "a", n: 2 })).toBe(false);
    const b = { id: "b", n: 3 };
    expect(list.add(b)).toBe(true);
    expect(list.add(b)).toBe(false);
    expect(list.items).toEqual([
      { id: "a", n: 1 },
      { id: "b", n: 3 },
    ]);
  });
});

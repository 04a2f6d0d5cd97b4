/**
 * A system of several flows: each flow gets its own design, and the flows that land on the same broker are
 * checked together — one Redis server is one thread and one memory budget, so three flows that each fit
 * can still not fit side by side. The specs merge into one file for `mqa topology`.
 */
import { InvalidOptionsError } from "../core/errors.js";
import { validateSpec } from "../spec/parse.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import { advise, Capacity, mib, type AdviseOptions, type Design } from "./advise.js";
import type { Requirements } from "./requirements.js";

/** What the flows on one broker add up to, and what that means. */
export interface BrokerLoad {
  broker: "rabbitmq" | "redis";
  flows: string[];
  /** Sum of the flows' peak rates. */
  rate: number;
  bytesPerSecond: number;
  /** Redis only: bytes the streams hold (replay windows, or five minutes of peak). */
  retainedBytes: number;
  /** Problems the flows have together, each with what to do. */
  problems: string[];
}

export interface SystemDesign {
  flows: Design[];
  load: BrokerLoad[];
  /** Every flow's topology in one spec. */
  topology: TopologySpec;
}

/** Options of {@link adviseSystem}: those of `advise`, with the fields given per flow. */
export interface AdviseSystemOptions extends Omit<AdviseOptions, "given"> {
  /** The requirement fields each flow gave (same order as the flows); the rest are its assumptions. */
  givenPerFlow?: readonly Iterable<string>[];
}

/** Designs for each flow and the check of the flows that share a broker. */
export function adviseSystem(
  flows: readonly Requirements[],
  options: AdviseSystemOptions = {},
): SystemDesign {
  const seen = new Set<string>();
  flows.forEach((f, i) => {
    if (seen.has(f.name))
      throw new InvalidOptionsError(
        `flows.${i}.name: "${f.name}" names two flows; each flow is a topic and needs its own name`,
      );
    seen.add(f.name);
  });
  const { givenPerFlow, ...common } = options;
  const designs = flows.map((f, i) => {
    const given = givenPerFlow?.[i];
    return advise(f, given ? { ...common, given } : common);
  });
  const load: BrokerLoad[] = [];
  for (const broker of ["rabbitmq", "redis"] as const) {
    const on = designs.filter((d) => (d.choice === "redis-streams") === (broker === "redis"));
    if (on.length === 0) continue;
    const l: BrokerLoad = {
      broker,
      flows: on.map((d) => d.requirements.name),
      rate: on.reduce((n, d) => n + d.requirements.rate, 0),
      bytesPerSecond: on.reduce((n, d) => n + d.sizing.bytesPerSecond, 0),
      retainedBytes: broker === "redis" ? on.reduce((n, d) => n + d.sizing.retainedBytes, 0) : 0,
      problems: [],
    };
    if (broker === "redis" && on.length > 1) {
      if (l.rate > Capacity.redisMsgPerSec)
        l.problems.push(
          `together ${l.rate} msg/s, above what one Redis server takes (~${Capacity.redisMsgPerSec} msg/s): ` +
            "give the busiest flows a Redis server of their own, or move one to RabbitMQ",
        );
      const budget = Math.min(...on.map((d) => d.requirements.redisMemory));
      if (l.retainedBytes > budget)
        l.problems.push(
          `together the streams hold ~${mib(l.retainedBytes)}, more than the ${mib(budget)} Redis may use: ` +
            "shorten retention, raise maxmemory, or split the flows over servers",
        );
    }
    if (broker === "rabbitmq" && on.length > 1 && l.bytesPerSecond > Capacity.quorumBytesPerSec)
      l.problems.push(
        `together ${mib(l.bytesPerSecond)}/s into one node's disk: measure with \`mqa bench\` on your hardware, ` +
          "and spread the queue leaders over a 3-node cluster",
      );
    load.push(l);
  }
  return { flows: designs, load, topology: mergeTopologies(designs.map((d) => d.topology)) };
}

/** One spec with every flow's RabbitMQ topics, policies and Redis streams (vhosts listed once). */
function mergeTopologies(specs: readonly TopologySpec[]): TopologySpec {
  const rabbit = specs.flatMap((s) => (s.rabbitmq ? [s.rabbitmq] : []));
  const redis = specs.flatMap((s) => (s.redis ? [s.redis] : []));
  const merged: Record<string, unknown> = { version: 1 };
  if (rabbit.length > 0) {
    const vhosts = new Map<string, unknown>();
    for (const r of rabbit) for (const v of r.vhosts ?? []) vhosts.set(v.name, v);
    const policies = rabbit.flatMap((r) => r.policies ?? []);
    merged["rabbitmq"] = {
      vhosts: [...vhosts.values()],
      topics: rabbit.flatMap((r) => r.topics ?? []),
      ...(policies.length > 0 ? { policies } : {}),
    };
  }
  if (redis.length > 0)
    merged["redis"] = { keyPrefix: redis[0]!.keyPrefix, streams: redis.flatMap((r) => r.streams ?? []) };
  return validateSpec(merged, "the designed topology");
}

/**
 * From requirements to a design: which broker and queue kind, why (and why not the others), the topology as
 * an mqa spec, broker settings, sizing, a test plan with mqa's own commands, and a rollback procedure.
 *
 * The rules are an architect's rules of thumb, stated with their numbers so a reader can disagree with one:
 * capacities are per queue or server on a small (2-core) node, as measured in docs/performance.md and the
 * design guide; they are starting points for `mqa bench` on the team's own hardware, not promises.
 */
import type { TopologySpec } from "../spec/schema/spec.js";
import { formatDuration } from "../spec/duration.js";
import { validateSpec } from "../spec/parse.js";
import type { Requirements } from "./requirements.js";
import { specToFlowGraph, toAscii, toMermaid } from "../topology/mod.js";
import { assumptionsOf, type Assumption } from "./assumptions.js";
import { codeFor, type DesignCode } from "./code.js";
import { nextStepsFor } from "./next-steps.js";
import { rabbitSetup, redisSetup, type Setup } from "./setup.js";
import {
  batching,
  brokerOf,
  brokerMessageSize,
  claimCheck,
  lanesOf,
  needsClaimCheck,
  partitionByKey,
  priorityLanes,
  tightestLatency,
  PatternThresholds,
  type Lane,
  type Pattern,
} from "./patterns.js";

export type Choice = "rabbitmq-quorum" | "rabbitmq-stream" | "redis-streams";
export { brokerOf };

/** Rules of thumb, per queue or server on a 2-core node. */
export const Capacity = {
  /** Quorum queue publish with confirms (256 B; the guide measures ~20k). */
  quorumMsgPerSec: 15_000,
  quorumBytesPerSec: 60 * 1024 * 1024,
  /** A RabbitMQ stream appends faster than a quorum queue. */
  streamMsgPerSec: 40_000,
  /** One Redis server (one thread) with mqa's publisher: ~50k XADD/s measured. */
  redisMsgPerSec: 40_000,
  /** Memory per stream entry beyond its payload (listpack, ids, mqa metadata). */
  redisEntryOverheadBytes: 120,
  /** p99 a quorum queue confirms within at moderate load (majority fsync). */
  quorumP99Ms: 15,
  /** Handlers in flight one consumer process holds (its prefetch). */
  prefetch: 100,
} as const;

export interface Assessment {
  choice: Choice;
  /** Reasons it cannot meet the requirements; empty when it can. */
  problems: string[];
  /** How many of `problems` no amount of work fixes (broker unavailable, a guarantee it lacks, memory). */
  hard: number;
  /** What speaks for it. */
  strengths: string[];
  score: number;
}

/** A lane of the design (the whole topic, or one latency class) with its own sizing. */
export interface DesignLane extends Lane {
  sizing: Design["sizing"];
}

export interface Design {
  requirements: Requirements;
  /** Requirements not given, with the default used and why it matters (listed first in the report). */
  assumptions: Assumption[];
  /** Patterns the numbers call for, each with its reason (also written into the spec as comments). */
  patterns: Pattern[];
  /** One lane per topic the design publishes to: the topic itself, or one per latency class. */
  lanes: DesignLane[];
  /** The file the topology is written to, named by the test plan and the rollback steps. */
  specFile: string;
  choice: Choice;
  /** True when no option met every requirement and the choice is the least bad; `problems` say what gives. */
  compromise: boolean;
  why: string[];
  problems: string[];
  alternatives: { choice: Choice; whyNot: string[] }[];
  sizing: {
    inFlight: number;
    consumerProcessesPerGroup: number;
    prefetch: number;
    /**
     * Per-key order: partitions per group (Redis streams, or RabbitMQ partition queues with a single active
     * consumer), a key always on one, read by one consumer at a time; inside it the route's per-key handling
     * (`order: "per-key"`) keeps each key one message at a time while keys run side by side up to the prefetch.
     * Global order: 1. Otherwise the partitions needed for throughput.
     */
    partitions: number;
    /** Bytes per second through the broker (references only under claim-check). */
    bytesPerSecond: number;
    retainedBytes: number;
  };
  tradeoffs: string[];
  topology: TopologySpec;
  configs: { target: string; lines: string[] }[];
  testPlan: { command: string; checks: string }[];
  rollback: string[];
  /** The designed flow, drawn by `mqa topology diagram`'s renderer from the spec. */
  diagram: { ascii: string; mermaid: string };
  /** The topology in the team's tools (management UI, rabbitmqadmin/rabbitmqctl, redis-cli). */
  setup: Setup;
  /** A producer and a consumer with mqa's API. */
  code: DesignCode;
  /** What to do first, in order (the report ends with them). */
  nextSteps: string[];
}

const LABEL: Record<Choice, string> = {
  "rabbitmq-quorum": "RabbitMQ quorum queues",
  "rabbitmq-stream": "RabbitMQ streams",
  "redis-streams": "Redis Streams",
};

export function choiceLabel(c: Choice): string {
  return LABEL[c];
}

/** Bytes as MiB, one decimal below 10 MiB. */
export const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/** Handlers per-key order needs running at once: rate × handler time, with 25% headroom. */
export function orderedInFlightOf(r: Requirements): number {
  return Math.max(1, Math.ceil((r.rate * r.handlerTime * 1.25) / 1000));
}

/** Most partitions a design uses per topic. */
export const MAX_PARTITIONS = 256;

/**
 * Handlers one RabbitMQ consumer process should hold at once over all partitions: RabbitMQ's partitions give
 * one active consumer per partition but no spread (the earliest attached consumer is active on every
 * partition queue), so per-key order on RabbitMQ runs in one process.
 */
export const RABBIT_ORDERED_PROCESS_LIMIT = 8 * Capacity.prefetch;

/**
 * Sizing for `choice`. Global order is one consumer at prefetch 1. Per-key order is partitions (a key always on
 * one, each read by one consumer at a time) plus per-key handling inside the consumer (`order: "per-key"`: a
 * key's messages one at a time and in order, different keys side by side), so the prefetch stays above 1.
 * Redis spreads the partitions over its consumers; RabbitMQ's single active consumer gives one process all of
 * them and the others stand by. Never several consumers or a prefetch above 1 without partitions and per-key
 * handling: those process a key's messages side by side, and they finish out of order.
 */
export function sizingOf(r: Requirements, choice?: Choice): Design["sizing"] {
  const inFlight = Math.ceil((r.rate * r.handlerTime) / 1000);
  const size = brokerMessageSize(r, brokerOf(choice ?? "redis-streams"));
  const bytesPerSecond = r.rate * size;
  const keep = r.replay > 0 ? r.replay / 1000 : 300; // without replay: five minutes of peak as headroom
  const retainedBytes = Math.round(r.rate * keep * (size + Capacity.redisEntryOverheadBytes));
  const common = { inFlight, bytesPerSecond, retainedBytes };
  if (r.ordering === "global") return { ...common, consumerProcessesPerGroup: 1, prefetch: 1, partitions: 1 };
  if (r.ordering === "per-key") {
    const needed = orderedInFlightOf(r);
    if (choice === "redis-streams" || choice === undefined) {
      // Partitions rebalance over the consumers: one partition per consumer at least, two consumers at least.
      const consumers = Math.min(MAX_PARTITIONS, Math.max(2, Math.ceil(needed / Capacity.prefetch)));
      const prefetch = Math.min(Capacity.prefetch, Math.max(10, Math.ceil(needed / consumers)));
      return { ...common, consumerProcessesPerGroup: consumers, prefetch, partitions: consumers };
    }
    // RabbitMQ: one process is active on every partition queue (the other stands by), with its prefetch on each;
    // partitions for the handlers in flight and for what one quorum queue takes. One queue: plain SAC.
    const perQueue = Math.min(Capacity.quorumMsgPerSec, Capacity.quorumBytesPerSec / size);
    const partitions = Math.min(
      MAX_PARTITIONS,
      Math.max(1, Math.ceil(needed / Capacity.prefetch), Math.ceil(r.rate / perQueue)),
    );
    const prefetch = Math.min(Capacity.prefetch, Math.max(10, Math.ceil(needed / partitions)));
    return { ...common, consumerProcessesPerGroup: 2, prefetch, partitions };
  }
  const consumers = Math.max(2, Math.ceil(inFlight / Capacity.prefetch));
  return {
    ...common,
    consumerProcessesPerGroup: consumers,
    prefetch: Math.min(300, Math.max(10, Math.ceil(inFlight / consumers))),
    partitions: Math.max(1, Math.ceil(r.rate / 20_000)),
  };
}

/** What an option cannot do (hard: no amount of work fixes it) or would cost (soft: extra work or tuning). */
class Verdict {
  readonly problems: string[] = [];
  hard = 0;
  cannot(problem: string): void {
    this.problems.push(problem);
    this.hard++;
  }
  costs(problem: string): void {
    this.problems.push(problem);
  }
}

/** Judge each option against the requirements. */
export function assess(r: Requirements): Assessment[] {
  const s = sizingOf(r, "redis-streams");
  const latency = tightestLatency(r);
  const rabbitSize = brokerMessageSize(r, "rabbitmq");
  const out: Assessment[] = [];
  const orderedInFlight = orderedInFlightOf(r);
  const tooManyInFlight = (v: Verdict): void => {
    if (r.ordering === "per-key" && orderedInFlight > MAX_PARTITIONS * Capacity.prefetch)
      v.costs(
        `per-key order at ${r.rate} msg/s with ${r.handlerTime} ms handlers needs ${orderedInFlight} handlers at once, above the ${MAX_PARTITIONS} partitions × ${Capacity.prefetch} this design sizes: shorten the handler, or order per key only where it matters`,
      );
  };
  const rabbit = r.brokers.includes("rabbitmq");
  const redis = r.brokers.includes("redis");

  {
    const v = new Verdict();
    const strengths = [
      "replicated with Raft and fsynced before the publisher's confirm: a confirmed message survives a node loss",
      "broker-side retries through delay levels, dead-letter queue with reasons, delivery limit against crash loops",
    ];
    const score = r.durability === "strict" ? 30 : r.durability === "standard" ? 20 : 10;
    if (!rabbit) v.cannot("RabbitMQ is not among the brokers the team can run");
    if (r.replay > 0)
      v.cannot(
        `a queue deletes a message once acknowledged, so consumers cannot re-read the last ${formatDuration(r.replay)}`,
      );
    const perQueue = Math.min(Capacity.quorumMsgPerSec, Capacity.quorumBytesPerSec / rabbitSize);
    // Per-key order spreads over partition queues (sizingOf); other flows would need topics sharded by hand.
    if (r.rate > perQueue && r.ordering !== "per-key")
      v.costs(
        `${r.rate} msg/s is above what one quorum queue takes (~${Math.round(perQueue)} msg/s at ${rabbitSize} B): the topic would have to be sharded by hand over ${Math.ceil(r.rate / perQueue)} topics`,
      );
    if (latency < Capacity.quorumP99Ms)
      v.costs(
        `a p99 under ${Capacity.quorumP99Ms} ms is not realistic with a majority fsync per confirm (target ${latency} ms)`,
      );
    if (r.ordering === "per-key" && orderedInFlight > RABBIT_ORDERED_PROCESS_LIMIT)
      v.costs(
        `RabbitMQ partitions (a queue per partition with a single active consumer) give one active consumer per partition and failover, but no spread: one process holds every partition, so per-key order at ${r.rate} msg/s puts ${orderedInFlight} handlers in one process (Redis partitions spread over consumers)`,
      );
    tooManyInFlight(v);
    if (r.ordering === "global")
      strengths.push("single-active-consumer keeps one ordered consumer with hot standbys");
    out.push({ choice: "rabbitmq-quorum", problems: v.problems, hard: v.hard, strengths, score });
  }

  {
    const v = new Verdict();
    const strengths = [
      "an append-only replicated log: consumers re-read from any offset or time",
      "replicated and fsynced like quorum queues",
    ];
    const score = (r.replay > 0 ? 35 : 5) + (r.durability === "strict" ? 5 : 0);
    if (!rabbit) v.cannot("RabbitMQ is not among the brokers the team can run");
    if (r.replay === 0)
      v.costs(
        "without a replay need a stream only adds cost: no dead-letter queue, no delivery limit, offsets to manage",
      );
    if (r.attempts > 1)
      strengths.push(
        "retries must be handled by the consumer (streams have no dead-lettering); mqa's retry middleware does",
      );
    if (r.rate > Capacity.streamMsgPerSec)
      v.costs(
        `${r.rate} msg/s is above one stream's ~${Capacity.streamMsgPerSec} msg/s: use super streams (partitions)`,
      );
    if (latency < Capacity.quorumP99Ms)
      v.costs(`a p99 under ${Capacity.quorumP99Ms} ms is not realistic with replication and fsync`);
    out.push({ choice: "rabbitmq-stream", problems: v.problems, hard: v.hard, strengths, score });
  }

  {
    const v = new Verdict();
    const strengths = [
      "in memory: sub-millisecond broker latency and the highest throughput per core",
      "partitions by key with rebalancing consumers (per-key order with parallelism)",
      "consumer groups with pending-entry reclaim, delayed retries and a dead-letter stream per group",
    ];
    let score = r.durability === "best-effort" ? 25 : r.durability === "standard" ? 15 : 0;
    if (latency < 20) score += 10;
    if (r.ordering === "per-key") score += 8;
    if (r.replay > 0) score += 10;
    if (!redis) v.cannot("Redis is not among the brokers the team can run");
    if (r.durability === "strict")
      v.cannot(
        "replication is asynchronous and WAIT is not consensus: a failover can lose writes Redis had confirmed",
      );
    if (s.retainedBytes > r.redisMemory)
      v.cannot(
        `keeping ${r.replay > 0 ? `${formatDuration(r.replay)} of replay` : "five minutes of peak backlog"} needs ~${mib(s.retainedBytes)} of memory, above the ${mib(r.redisMemory)} budget`,
      );
    if (r.rate > Capacity.redisMsgPerSec)
      v.cannot(
        `${r.rate} msg/s is above one Redis server's ~${Capacity.redisMsgPerSec} msg/s, and mqa's Redis transport has no Cluster client yet`,
      );
    tooManyInFlight(v);
    out.push({ choice: "redis-streams", problems: v.problems, hard: v.hard, strengths, score });
  }
  return out;
}

/** Options of {@link advise}. */
export interface AdviseOptions {
  /** Where the topology will be written (`--spec-out`). @defaultValue `<name>.topology.yaml` */
  specFile?: string;
  /**
   * The requirement fields the team gave; the others are listed as assumptions with their defaults.
   * @defaultValue every field (nothing listed as assumed)
   */
  given?: Iterable<string>;
}

/** The recommended design for `r`. */
export function advise(r: Requirements, adviseOptions: AdviseOptions = {}): Design {
  const specFile = adviseOptions.specFile ?? `${r.name}.topology.yaml`;
  const options = assess(r);
  const feasible = options.filter((o) => o.problems.length === 0).sort((a, b) => b.score - a.score);
  const available = options.filter((o) =>
    r.brokers.includes(o.choice.startsWith("redis") ? "redis" : "rabbitmq"),
  );
  // No option fits: the least bad is the one with the fewest problems nothing can fix, then the fewest others.
  const fallback = [...(available.length > 0 ? available : options)].sort(
    (a, b) => a.hard - b.hard || a.problems.length - b.problems.length || b.score - a.score,
  );
  const best = feasible[0] ?? fallback[0]!;
  const sizing = sizingOf(r, best.choice);
  const lanes: DesignLane[] = lanesOf(r).map((l) => ({
    ...l,
    sizing: l.topic === r.name ? sizing : sizingOf({ ...r, rate: l.rate }, best.choice),
  }));
  const problems = [...best.problems];
  if (r.ordering === "global" && new Set(r.latencyClasses.map((c) => c.latencyP99Ms)).size > 1)
    problems.push(
      "global order is one queue handled one message at a time, so the latency classes share it: the urgent class waits behind the others",
    );
  const design: Design = {
    requirements: r,
    patterns: patternsFor(best.choice, r, sizing, lanes),
    lanes,
    specFile,
    choice: best.choice,
    compromise: problems.length > 0,
    why: best.strengths,
    problems,
    alternatives: options
      .filter((o) => o.choice !== best.choice)
      .map((o) => ({
        choice: o.choice,
        whyNot:
          o.problems.length > 0
            ? o.problems
            : [`fits too, but scores lower for these requirements (${o.score} vs ${best.score})`],
      })),
    sizing,
    tradeoffs: tradeoffs(best.choice, r),
    topology: topologyFor(best.choice, r, lanes),
    configs: configsFor(best.choice, r, sizing, specFile),
    testPlan: testPlanFor(best.choice, r, specFile),
    rollback: rollbackFor(best.choice, r, specFile),
    assumptions: adviseOptions.given ? assumptionsOf(r, adviseOptions.given) : [],
    diagram: { ascii: "", mermaid: "" },
    setup: { broker: brokerOf(best.choice), ui: [], commands: [] },
    code: { producer: "", consumer: "" },
    nextSteps: [],
  };
  // The spec must be one `mqa topology` accepts: validate it here rather than hand out a broken file.
  design.topology = validateSpec(design.topology, "the designed topology");
  const graph = specToFlowGraph(design.topology);
  design.diagram = { ascii: toAscii(graph), mermaid: toMermaid(graph) };
  const redisConf = design.configs.find((c) => c.target === "redis.conf")?.lines ?? [];
  design.setup =
    best.choice === "redis-streams"
      ? redisSetup(design.topology, specFile, r.name, redisConf)
      : rabbitSetup(design.topology, specFile, r.name);
  design.code = codeFor(design);
  design.nextSteps = nextStepsFor(design, design.assumptions);
  return design;
}

/** The patterns the numbers call for on `c`, in the order a reader meets them. */
function patternsFor(
  c: Choice,
  r: Requirements,
  s: Design["sizing"],
  lanes: readonly DesignLane[],
): Pattern[] {
  const broker = brokerOf(c);
  const out: Pattern[] = [];
  if (needsClaimCheck(r, broker)) out.push(claimCheck(r, broker));
  if (r.ordering === "per-key" && (s.partitions > 1 || lanes.some((l) => l.sizing.partitions > 1)))
    out.push(
      partitionByKey(
        r,
        broker,
        s.partitions,
        lanes.map((l) => ({ topic: l.topic, partitions: l.sizing.partitions })),
        s.prefetch,
      ),
    );
  if (lanes.length > 1)
    out.push(
      priorityLanes(
        r,
        lanes.map((l) => ({ ...l, consumers: l.sizing.consumerProcessesPerGroup })),
      ),
    );
  const perConsumer = r.rate / Math.max(1, s.consumerProcessesPerGroup);
  if (
    r.ordering === "none" &&
    c !== "rabbitmq-stream" &&
    perConsumer > PatternThresholds.batchingPerConsumerRate
  )
    out.push(batching(perConsumer, s.prefetch, broker));
  return out;
}

function tradeoffs(c: Choice, r: Requirements): string[] {
  const t: string[] = [];
  if (c === "rabbitmq-quorum") {
    t.push(
      "every confirm waits for a majority fsync: latency and throughput are traded for no loss on node failure",
    );
    t.push("three nodes at least (an odd number), on separate disks and failure domains");
    t.push(
      `a queue refuses publishes beyond ${backlogLimitOf(r)} messages (x-max-length, reject-publish): publishers get an error instead of the whole broker blocking on a memory alarm`,
    );
  }
  if (c === "rabbitmq-stream") {
    t.push("consumers track offsets; a slow consumer reads history instead of holding messages back");
    t.push(
      "no dead-lettering on the broker: poison messages are the consumer's job (mqa's dead-letter middleware)",
    );
  }
  if (c === "redis-streams") {
    t.push(
      "memory bounds the backlog: a stuck group stops trimming (mqa never trims unread entries), so alert on lag",
    );
    t.push(
      r.durability === "best-effort"
        ? "appendfsync everysec can lose up to a second of confirmed writes on a crash"
        : "appendfsync always plus WAIT for a replica narrows, not closes, the window a failover can lose",
    );
  }
  if (needsClaimCheck(r, brokerOf(c)))
    t.push(
      `claim-check adds a store write before each publish and a read per group before each handler: ~10–100 ms at p99 on object storage, less on a database or store in the same network${tightestLatency(r) < 100 ? ` — measure it against the ${tightestLatency(r)} ms target` : ""}`,
    );
  if (r.ordering === "global") t.push("global order means one active consumer: throughput is one consumer's");
  if (r.ordering === "per-key")
    t.push(
      `per-key order holds within a partition, each key one message at a time (the route's order: "per-key") while keys run side by side up to the prefetch: one key peaks at ~${Math.floor(1000 / Math.max(1, r.handlerTime))} msg/s, a retried message comes back after its key's later ones, and changing the partition count moves keys (drain first)`,
    );
  return t;
}

function retry(r: Requirements): { attempts: number; backoff: string } {
  return { attempts: r.attempts, backoff: "exponential 1s..5m" };
}

function topologyFor(c: Choice, r: Requirements, lanes: readonly DesignLane[]): TopologySpec {
  if (c === "redis-streams") {
    return {
      version: 1,
      redis: {
        keyPrefix: "mqa",
        streams: lanes.map((l) => ({
          name: l.topic,
          partitions: l.sizing.partitions,
          retention:
            r.replay > 0
              ? { maxAge: formatDuration(r.replay) }
              : { maxLength: Math.max(10_000, Math.ceil(l.rate * 60)) },
          groups: r.groups.map((g) => ({ name: g, retry: retry(r), deadLetter: true })),
        })),
      },
    } as TopologySpec;
  }
  const backlogLimit = backlogLimitOf(r);
  const stream = c === "rabbitmq-stream";
  const group = (name: string): Record<string, unknown> => ({
    name,
    queueType: stream ? "stream" : "quorum",
    ...(stream
      ? { retry: false, deadLetter: false, arguments: { "x-max-age": maxAge(r.replay) } }
      : {
          retry: retry(r),
          deadLetter: true,
          deliveryLimit: 20,
          arguments: {
            "x-max-length": backlogLimit,
            "x-overflow": "reject-publish",
            // One consumer of the queue (or of each partition queue) at a time, the others standing by.
            ...(r.ordering !== "none" ? { "x-single-active-consumer": true } : {}),
          },
        }),
  });
  // Per-key order: the topic's partitions (mqa declares a single-active-consumer queue per partition and
  // group, and the publisher routes each key to its partition), so each key stays on one active consumer.
  const topics = lanes.map((l) => {
    const partitions = !stream && r.ordering === "per-key" ? l.sizing.partitions : 1;
    return {
      name: l.topic,
      ...(partitions > 1 ? { partitions } : {}),
      groups: r.groups.map((g) => group(g)),
    };
  });
  return {
    version: 1,
    rabbitmq: {
      vhosts: [{ name: "/" }],
      topics,
      // The dead-letter queues the transport declares get their bound here (see deadLetterLimitOf).
      ...(stream
        ? {}
        : {
            policies: [
              {
                name: `${r.name}-dead-letters`,
                pattern: `^${r.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\..+\\.dlq$`,
                applyTo: "queues",
                definition: { "max-length": deadLetterLimitOf(r), overflow: "reject-publish" },
              },
            ],
          }),
    },
  } as TopologySpec;
}

/**
 * Dead letters a group's DLQ may hold: a tenth of its queue's backlog bound, at least 10,000. Full, it refuses
 * more (overflow reject-publish, never drop-head): the group queue dead-letters at-least-once (the transport
 * sets `x-dead-letter-strategy: at-least-once` on quorum queues, RabbitMQ 3.10+), so a refused dead letter
 * stays in the group queue and is retried, nothing is dropped; the group queue then fills towards its own
 * bound and publishers are refused — loud, where drop-head would lose the oldest dead letters silently.
 */
export function deadLetterLimitOf(r: Requirements): number {
  return Math.max(10_000, Math.floor(backlogLimitOf(r) / 10));
}

/**
 * Messages a queue may hold before publishers are refused (reject-publish): an hour of peak, but no more
 * than ~2 GiB of bodies, so a stalled consumer ends in refused publishes, not a broker-wide memory alarm.
 */
export function backlogLimitOf(r: Requirements): number {
  return Math.max(
    10_000,
    Math.min(Math.ceil(r.rate * 3600), Math.floor((2 * 1024 ** 3) / brokerMessageSize(r, "rabbitmq"))),
  );
}

/** RabbitMQ stream `x-max-age` (`7D`, `12h`): whole days when possible. */
function maxAge(ms: number): string {
  const hours = Math.max(1, Math.ceil(ms / 3_600_000));
  return hours % 24 === 0 ? `${hours / 24}D` : `${hours}h`;
}

function configsFor(c: Choice, r: Requirements, s: Design["sizing"], specFile: string): Design["configs"] {
  if (c === "redis-streams") {
    const memory = Math.max(s.retainedBytes * 2, 256 * 1024 * 1024);
    return [
      {
        target: "redis.conf",
        lines: [
          "appendonly yes",
          r.durability === "best-effort" ? "appendfsync everysec" : "appendfsync always",
          `maxmemory ${Math.ceil(memory / 1024 / 1024)}mb   # twice the expected retained data`,
          "maxmemory-policy noeviction   # never evict stream keys; writes fail loudly instead",
          "protected-mode yes",
          "# ACL: an application user with ~mqa:* and the stream commands, no default user without a password",
          ...(r.durability !== "best-effort" ? ["min-replicas-to-write 1", "min-replicas-max-lag 10"] : []),
        ],
      },
      {
        target: "mqa (createRedisTransport options; router.handle for prefetch)",
        lines: [
          `topology: await loadSpecFile(${JSON.stringify(specFile)})   # partitions and retention come from the spec`,
          ...(r.durability !== "best-effort" ? ["durability: { replicas: 1, localFsync: true }"] : []),
          `router.handle({ …, prefetch: ${s.prefetch} })   # per consumer process`,
        ],
      },
    ];
  }
  return [
    {
      target: "rabbitmq.conf",
      lines: [
        "vm_memory_high_watermark.relative = 0.6",
        "disk_free_limit.absolute = 4GB   # above the memory high watermark's size on small nodes",
        `consumer_timeout = ${Math.max(1_800_000, r.handlerTime * 100)}   # ms; far above a handler's time`,
        "loopback_users.guest = true   # and delete the guest user in production",
        "# cluster of 3 nodes; quorum queues replicate to all three",
      ],
    },
    {
      target: "mqa (createAmqpTransport options)",
      lines: [
        `topology: await loadSpecFile(${JSON.stringify(specFile)})   # declares exactly what the spec says`,
        `prefetch: ${s.prefetch}`,
        "maxUnconfirmed: 500",
        "publishTimeoutMs: 15000",
        ...(r.ordering === "none" &&
        c === "rabbitmq-quorum" &&
        r.rate / Math.max(1, s.consumerProcessesPerGroup) > PatternThresholds.batchingPerConsumerRate
          ? [`ackBatchSize: ${Math.max(2, Math.min(50, Math.floor(s.prefetch / 2)))}`, "ackBatchMs: 20"]
          : []),
        ...(r.ordering === "per-key" && s.partitions > 1 && c === "rabbitmq-quorum"
          ? [
              `# the spec's partitions: ${s.partitions}: publish with the order key as message key (mqa routes it to its partition); route option order: "per-key"`,
            ]
          : []),
      ],
    },
  ];
}

function testPlanFor(c: Choice, r: Requirements, specFile: string): Design["testPlan"] {
  const url = c === "redis-streams" ? "redis://HOST:6379" : "amqp://USER:PASS@HOST:5672";
  const mgmt = c === "redis-streams" ? "redis://HOST:6379" : "http://USER:PASS@HOST:15672";
  const n = Math.min(50_000, Math.max(5_000, Math.ceil(r.rate * 10)));
  const queueType = c === "rabbitmq-quorum" ? " --queue-type quorum" : "";
  return [
    {
      command: `mqa topology validate ${specFile}`,
      checks: "the spec is valid before anything touches a broker",
    },
    {
      command: `mqa audit ${specFile} --fail-on low`,
      checks:
        "no finding in the design (vhost limits, which a spec cannot declare, are the broker's: rabbitmqctl set_vhost_limits)",
    },
    {
      command: `mqa topology plan ${specFile} --broker ${mgmt}`,
      checks: "what apply will create or change, with safe migrations",
    },
    {
      command: `mqa verify --broker ${url} --spawn-broker --messages ${n} --faults all`,
      checks: "lost: 0 under consumer kills, connection cuts, a broker restart and poison messages",
    },
    {
      command: `mqa bench --broker ${url} --size ${brokerMessageSize(r, brokerOf(c))} --rate ${Math.ceil(r.rate)}${queueType}`,
      checks: `p99 at the peak rate stays under ${tightestLatency(r)} ms on the target hardware${needsClaimCheck(r, brokerOf(c)) ? " (references; measure the store's put and get latency on top)" : ""}`,
    },
    {
      command: `mqa monitor ${mgmt} --once --fail-on critical`,
      checks: "after go-live: no backlog without consumers, no growing DLQ",
    },
  ];
}

function rollbackFor(c: Choice, r: Requirements, specFile: string): string[] {
  const mgmt = c === "redis-streams" ? "redis://HOST:6379" : "http://USER:PASS@HOST:15672";
  return [
    `Apply with a rollback file: mqa topology apply ${specFile} --broker ${mgmt} --rollback-file ${r.name}.rollback.json`,
    "Deploy consumers first, then publishers, so nothing is published where nobody reads.",
    `Watch it: mqa monitor ${mgmt} --port 9464 (and load mqa monitor --rules into Prometheus).`,
    "To roll back: stop the new publishers, let the consumers drain the backlog (monitor shows 0), move the DLQ's messages out or record them, then mqa topology rollback " +
      `${r.name}.rollback.json --broker ${mgmt} and redeploy the previous version.`,
    "Never roll back by deleting a queue or stream that still holds messages: plan shows what a deletion would drop.",
  ];
}

/**
 * RabbitMQ and Redis Streams side by side for one set of requirements: guarantees, latency, throughput and
 * memory headroom, operations, ecosystem and cost in machines, with the factors that decide marked. The
 * RabbitMQ column is the queue kind the requirements call for (a stream when replay is needed).
 */
import { advise, Capacity, choiceLabel, sizingOf, type Choice } from "./advise.js";
import { brokerMessageSize, needsClaimCheck, tightestLatency } from "./patterns.js";
import type { Requirements } from "./requirements.js";

export type Side = "rabbitmq" | "redis";

/** One aspect compared. */
export interface ComparisonRow {
  aspect: string;
  rabbitmq: string;
  redis: string;
  /** Which side the aspect speaks for, for these requirements. */
  favours: Side | "even";
  /** True when this aspect alone rules one side out or in (a hard limit, or a requirement only one meets). */
  deciding: boolean;
}

export interface Comparison {
  requirements: Requirements;
  /** The RabbitMQ queue kind compared. */
  rabbitmq: Choice;
  rows: ComparisonRow[];
  /** What `mqa design` recommends for these requirements, and why in one line. */
  recommendation: { choice: Choice; summary: string };
}

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
const times = (x: number): string => (x >= 10 ? `×${Math.round(x)}` : `×${x.toFixed(1)}`);

/** Compare RabbitMQ and Redis Streams for `r`. */
export function compareBrokers(r: Requirements): Comparison {
  const both: Requirements = { ...r, brokers: ["rabbitmq", "redis"] };
  const rabbitChoice: Choice = r.replay > 0 ? "rabbitmq-stream" : "rabbitmq-quorum";
  const latency = tightestLatency(r);
  const stream = rabbitChoice === "rabbitmq-stream";
  const rows: ComparisonRow[] = [];

  const strict = r.durability === "strict";
  const redisReplayFits = sizingOf(both, "redis-streams").retainedBytes <= r.redisMemory;
  rows.push({
    aspect: "Guarantees",
    rabbitmq: stream
      ? "replicated log (Raft), fsynced before the confirm; consumers re-read by offset or time; no dead-lettering (the consumer's middleware does it)"
      : "replicated (Raft) and fsynced before the confirm: a confirmed message survives a node loss; DLQ with reasons, delivery limit; per-key order by partition queues (one active consumer each) with per-key handling",
    redis: `AOF (${r.durability === "best-effort" ? "appendfsync everysec: up to a second lost on a crash" : "appendfsync always"}); replication is asynchronous, so a failover can lose confirmed writes; groups with pending-entry reclaim, dead-letter stream, partitions by key`,
    favours: strict ? "rabbitmq" : r.durability === "best-effort" ? "redis" : "even",
    deciding: strict || (r.replay > 0 && !redisReplayFits),
  });

  rows.push({
    aspect: "Latency",
    rabbitmq: `p99 ~${Capacity.quorumP99Ms} ms and up at moderate load: every confirm waits for a majority fsync`,
    redis: "sub-millisecond broker time (in memory); appendfsync always adds a disk write per batch",
    favours: latency < 20 ? "redis" : "even",
    deciding: latency < Capacity.quorumP99Ms,
  });

  const rabbitSize = brokerMessageSize(r, "rabbitmq");
  const perQueue = Math.min(
    stream ? Capacity.streamMsgPerSec : Capacity.quorumMsgPerSec,
    Capacity.quorumBytesPerSec / rabbitSize,
  );
  const rabbitHeadroom = perQueue / r.rate;
  const redisHeadroom = Capacity.redisMsgPerSec / r.rate;
  rows.push({
    aspect: "Throughput headroom",
    rabbitmq: `~${Math.round(perQueue)} msg/s per ${stream ? "stream" : "queue"} at ${rabbitSize} B: ${times(rabbitHeadroom)} the peak; more by partitions (queues, super streams) over the cluster's nodes`,
    redis: `~${Capacity.redisMsgPerSec} msg/s per server (one thread): ${times(redisHeadroom)} the peak; mqa has no Redis Cluster client yet, so one server is the ceiling`,
    favours:
      rabbitHeadroom > redisHeadroom * 1.5
        ? "rabbitmq"
        : redisHeadroom > rabbitHeadroom * 1.5
          ? "redis"
          : "even",
    deciding: redisHeadroom < 1,
  });

  const held = sizingOf(both, "redis-streams").retainedBytes;
  rows.push({
    aspect: "Backlog and memory",
    rabbitmq: `backlog on disk: bounded per queue (an hour of peak, reject-publish), ${r.replay > 0 ? "the replay window on disk" : "memory only for the working set"}`,
    redis: `everything in memory: ~${mib(held)} for ${r.replay > 0 ? "the replay window" : "five minutes of peak"} against a ${mib(r.redisMemory)} budget${held > r.redisMemory ? " — does not fit" : ""}`,
    favours: held > r.redisMemory / 2 ? "rabbitmq" : "even",
    deciding: held > r.redisMemory,
  });

  const onlyOne = r.brokers.length === 1;
  rows.push({
    aspect: "Operations",
    rabbitmq:
      "3 nodes (an odd number) on separate failure domains; rolling upgrades one node at a time (quorum keeps a majority), feature flags before major versions; back up definitions (messages are replicated, not backed up)",
    redis:
      "a primary, a replica and 3 Sentinels (or a managed Redis); upgrade the replica, then fail over; back up with RDB/AOF snapshots; alert on memory and consumer lag",
    favours: onlyOne ? (r.brokers[0] as Side) : "even",
    deciding: onlyOne,
  });

  rows.push({
    aspect: "Ecosystem",
    rabbitmq:
      "AMQP 0-9-1 clients in every language, management UI and HTTP API, Shovel/Federation, Prometheus plugin, streams over the stream protocol",
    redis:
      "a Redis client in every language, Streams are a few commands (XADD, XREADGROUP, XACK), RedisInsight; often already in the stack as a cache",
    favours: "even",
    deciding: false,
  });

  const claim = needsClaimCheck(r, "rabbitmq") || needsClaimCheck(r, "redis");
  const redisRam = Math.max(256 * 1024 * 1024, held * 2);
  rows.push({
    aspect: "Cost in machines",
    rabbitmq: `3 nodes of 2 cores, 4 GiB RAM, SSD for ${r.replay > 0 ? "the replay window" : "an hour of backlog"} (${mib(r.rate * 3600 * rabbitSize)} per hour)${claim ? "; plus the claim-check store" : ""}`,
    redis: `2 servers of ${mib(redisRam)} RAM (primary and replica) and 3 small Sentinels${claim ? "; plus the claim-check store" : ""}`,
    favours: held * 2 > 64 * 1024 ** 3 ? "rabbitmq" : "redis",
    deciding: false,
  });

  const d = advise(r);
  return {
    requirements: r,
    rabbitmq: rabbitChoice,
    rows,
    recommendation: {
      choice: d.choice,
      summary: `${choiceLabel(d.choice)}${d.compromise ? " (a compromise: no option meets every requirement)" : ""}: ${d.why[0] ?? ""}`,
    },
  };
}

/** The comparison as text (terminal) or a Markdown table. */
export function renderComparison(c: Comparison, format: "text" | "markdown"): string {
  const name = (s: Side): string => (s === "redis" ? "Redis Streams" : choiceLabel(c.rabbitmq));
  const r = c.requirements;
  const head = `${r.rate} msg/s of ${r.messageSize} B, p99 ≤ ${tightestLatency(r)} ms, durability ${r.durability}, ordering ${r.ordering}`;
  if (format === "markdown") {
    const cell = (s: string): string => s.replace(/\|/g, "\\|");
    const out = [
      `# ${name("rabbitmq")} vs Redis Streams: ${r.name}`,
      "",
      head,
      "",
      `| Aspect | ${name("rabbitmq")} | Redis Streams |`,
      "| --- | --- | --- |",
      ...c.rows.map((row) => {
        const mark = (s: Side): string =>
          row.favours === s ? (row.deciding ? "**◆ deciding** " : "✓ ") : "";
        return `| ${row.deciding ? `**${row.aspect}**` : row.aspect} | ${mark("rabbitmq")}${cell(row.rabbitmq)} | ${mark("redis")}${cell(row.redis)} |`;
      }),
      "",
      "◆ deciding: this aspect alone rules a side in or out for these requirements; ✓ speaks for that side.",
      "",
      `**Recommendation:** ${c.recommendation.summary}`,
    ];
    return `${out.join("\n")}\n`;
  }
  const out = [`mqa design --compare: ${r.name}`, `  ${head}`, ""];
  for (const row of c.rows) {
    const verdict = row.favours === "even" ? "even" : `favours ${name(row.favours)}`;
    out.push(`${row.deciding ? "◆ " : "  "}${row.aspect} (${row.deciding ? "deciding, " : ""}${verdict})`);
    out.push(`    RabbitMQ: ${row.rabbitmq}`);
    out.push(`    Redis:    ${row.redis}`);
  }
  out.push(
    "",
    c.rows.some((row) => row.deciding)
      ? "  ◆ deciding: this aspect alone rules a side in or out for these requirements."
      : "  No aspect alone decides for these requirements: the recommendation weighs them together.",
  );
  out.push("", `Recommendation: ${c.recommendation.summary}`);
  return `${out.join("\n")}\n`;
}

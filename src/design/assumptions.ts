/**
 * What the design assumed: every requirement the team did not give, with the default used and why it
 * matters, so a reader sees first which numbers the answer rests on.
 */
import { formatDuration } from "../spec/duration.js";
import { REQUIREMENT_FIELDS, type Requirements } from "./requirements.js";

/** A requirement not given, its default, and what changes if the real value differs. */
export interface Assumption {
  field: keyof Requirements;
  value: string;
  why: string;
}

const WHY: Record<keyof Requirements, string> = {
  name: "names the topic, the queues or streams, and the spec file",
  rate: "sizes everything: consumers, partitions, the broker's headroom",
  messageSize:
    "above 1 MiB (RabbitMQ) or 256 KiB (Redis) the payload belongs in a store (claim-check); it also sizes bandwidth and Redis memory",
  latencyP99Ms: "below ~15 ms a replicated, fsynced queue cannot confirm in time; Redis can",
  durability:
    "decides between a replicated queue (no loss when a node dies) and Redis (a failover can lose confirmed writes): the acceptable loss",
  ordering:
    "per-key order means partitions plus per-key handling (a key one message at a time); none lets consumers run in parallel",
  groups: "each group gets every message: more groups multiply the reads (and the claim-check store's reads)",
  replay: "re-reading history needs a stream (RabbitMQ stream or Redis), not a queue",
  handlerTime:
    "the consumer capacity: messages in flight = rate × handler time, and one key's rate under order",
  attempts: "how often a failing message is retried before it is dead-lettered",
  brokers: "only brokers the team can run are recommended",
  redisMemory: "bounds the backlog or replay window Redis can hold",
  latencyClasses: "traffic with different latency targets gets lanes of its own (priority lanes)",
};

function show(field: keyof Requirements, r: Requirements): string {
  const v = r[field];
  if (field === "replay" || field === "handlerTime") return v === 0 ? "0" : formatDuration(v as number);
  if (field === "messageSize" || field === "redisMemory") {
    const b = v as number;
    return b >= 1024 ** 3 ? `${b / 1024 ** 3}GiB` : b >= 1024 ? `${b / 1024}KiB` : `${b}B`;
  }
  if (Array.isArray(v)) return v.length === 0 ? "none" : JSON.stringify(v);
  return String(v);
}

/**
 * The requirements of `r` not among `given`, with their defaults, in schema order; `rate` is always given
 * (it has no default).
 */
export function assumptionsOf(r: Requirements, given: Iterable<string>): Assumption[] {
  const set = new Set(given);
  return REQUIREMENT_FIELDS.filter((f) => !set.has(f) && f !== "rate").map((field) => ({
    field,
    value: show(field, r),
    why: WHY[field],
  }));
}

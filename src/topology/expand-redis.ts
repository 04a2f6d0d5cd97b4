/** Spec → concrete Redis keys: partition streams, their groups, DLQ streams and delayed-retry sets. */
import { durationMs } from "./duration.js";
import { defaultRedisNaming, type RedisNaming } from "./redis-conventions.js";
import type { TopologySpec } from "./schema/spec.js";

export interface RedisGroupModel {
  name: string;
  /** `$`, `0` or an entry id. */
  startId: string;
}

export interface RedisStreamModel {
  /** Full key, prefix included. */
  key: string;
  /** The spec stream (topic) it belongs to. */
  topic: string;
  role: "partition" | "dead-letter";
  groups: RedisGroupModel[];
  retention: { maxLength?: number; maxAgeMs?: number };
}

/** What a spec asks of Redis. */
export interface RedisModel {
  keyPrefix: string;
  streams: RedisStreamModel[];
  /** Sorted sets holding delayed retries (created on first use; listed for diagrams and audits). */
  delayedSets: string[];
}

/** The Redis part of a spec as concrete keys. */
export function specToRedisModel(spec: TopologySpec, naming: RedisNaming = defaultRedisNaming): RedisModel {
  const keyPrefix = spec.redis?.keyPrefix ?? "";
  const model: RedisModel = { keyPrefix, streams: [], delayedSets: [] };
  for (const s of spec.redis?.streams ?? []) {
    const partitions = s.partitions ?? 1;
    const retention: RedisStreamModel["retention"] = {};
    if (s.retention?.maxLength !== undefined) retention.maxLength = s.retention.maxLength;
    if (s.retention?.maxAge !== undefined) retention.maxAgeMs = durationMs(s.retention.maxAge);
    const groups = (s.groups ?? []).map((g) => ({ name: g.name, startId: g.startId ?? "$" }));
    const wantsDlq = (s.groups ?? []).some((g) => g.deadLetter ?? true);
    for (let i = 0; i < partitions; i++) {
      const key = keyPrefix + naming.partitionStream(s.name, i, partitions);
      model.streams.push({ key, topic: s.name, role: "partition", groups, retention });
      if (wantsDlq) {
        // Dead letters are kept until someone deals with them: no retention, no groups.
        model.streams.push({
          key: naming.deadLetterStream(key),
          topic: s.name,
          role: "dead-letter",
          groups: [],
          retention: {},
        });
      }
      for (const g of s.groups ?? [])
        if (g.retry && g.retry.attempts > 1) model.delayedSets.push(naming.delayedSet(key, g.name));
    }
  }
  return model;
}

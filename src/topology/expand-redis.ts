/**
 * Spec → concrete Redis keys, through the Redis transport's own pure naming and declaration plan and its
 * reading of a spec (both from its pure layout, src/transports/redis/layout.ts), so a
 * spec expands to exactly what the transport creates: a stream with `key` is that key, and mqa's keys for it
 * are its `<prefix>:{<tag>}:key:<key>:…` companions.
 */
import {
  DEFAULT_KEY_PREFIX,
  RedisKeyNames,
  planDeclaration,
  redisSettingsFromSpec,
  type TrimPolicy,
} from "../transports/redis/layout.js";
import type { TopologySpec } from "../spec/schema/spec.js";

export interface RedisGroupModel {
  name: string;
  /**
   * Where a new group starts: `0`, or the transport's rule `0-if-first-group-else-$` (the whole stream for
   * the first group, so nothing published before it is lost; only new entries for later groups); or
   * `existing`: the spec says the group exists already (its owner creates it), so it is compared but never
   * created.
   */
  start: "0" | "0-if-first-group-else-$" | "existing";
}

export interface RedisStreamModel {
  /** Full key, prefix included. */
  key: string;
  /** The spec stream (topic) it belongs to. */
  topic: string;
  partition: number;
  /** `partition`: where messages are published; `retry`: a group's retries, read with the topic. */
  role: "partition" | "retry";
  groups: RedisGroupModel[];
  /** Declared trimming (partition streams only). */
  trim?: NonNullable<TrimPolicy>;
  /**
   * The stream is another program's (the spec names its `key`): groups on it the spec does not list are
   * that program's, never planned for deletion.
   */
  foreign?: boolean;
}

/** A key the transport creates on first use (delayed retries, dead letters, leases), listed for audits and diagrams. */
export interface RedisLazyKey {
  key: string;
  type: "zset" | "stream" | "string";
  purpose: "delayed-retries" | "dead-letters" | "partition-lease" | "members" | "topic";
  topic: string;
  group?: string;
}

/** The transport's per-topic meta hash, which records the partition count. */
export interface RedisTopicMeta {
  key: string;
  topic: string;
  partitions: number;
}

/**
 * What a spec asks of Redis: the desired state topology plans against. (The audit's snapshot of a live
 * Redis is a different thing, `RedisModel` in `mqa/audit`.)
 */
export interface RedisTopologyModel {
  keyPrefix: string;
  topics: RedisTopicMeta[];
  streams: RedisStreamModel[];
  lazyKeys: RedisLazyKey[];
}

/** The Redis part of a spec as concrete keys. */
export function specToRedisModel(spec: TopologySpec): RedisTopologyModel {
  const keyPrefix = spec.redis?.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const settings = redisSettingsFromSpec(spec);
  const names = new RedisKeyNames(
    keyPrefix,
    new Map(
      Object.entries(settings.topics).flatMap(([topic, t]) =>
        t.key === undefined ? [] : [[topic, t.key] as const],
      ),
    ),
  );
  const streams = new Map<string, RedisStreamModel>();
  const lazyKeys: RedisLazyKey[] = [];
  const topics: RedisTopicMeta[] = [];
  // Sets beside the lists, so a spec of thousands of streams expands in linear time.
  const lazySeen = new Set<string>();
  const topicSeen = new Set<string>();
  const groupsSeen = new Set<string>();
  for (const s of spec.redis?.streams ?? []) {
    const { partitions, trim } = settings.topics[s.name]!;
    if ((s.groups ?? []).length === 0) {
      // No group yet: the stream appears with the first publish.
      for (const key of names.streams(s.name, partitions)) {
        lazySeen.add(key);
        lazyKeys.push({ key, type: "stream", purpose: "topic", topic: s.name });
      }
      continue;
    }
    names.streams(s.name, partitions).forEach((key, partition) => {
      streams.set(key, {
        key,
        topic: s.name,
        partition,
        role: "partition",
        groups: [],
        ...(trim ? { trim } : {}),
        ...(s.key === undefined ? {} : { foreign: true }),
      });
    });
    for (const g of s.groups ?? []) {
      const steps = planDeclaration(names, {
        topic: s.name,
        group: g.name,
        partitions,
        deadLetter: g.deadLetter ?? true,
        ...(trim ? { trim } : {}),
        existing: g.existing === true,
      });
      let partition = 0;
      for (const step of steps) {
        if (step.kind === "stream") {
          partition = step.partition;
          if (!streams.has(step.key))
            streams.set(step.key, { key: step.key, topic: s.name, partition, role: "retry", groups: [] });
        } else if (step.kind === "group") {
          const stream = streams.get(step.stream);
          const id = `${step.stream}\u0000${step.group}`;
          if (stream && !groupsSeen.has(id)) {
            groupsSeen.add(id);
            stream.groups.push({ name: step.group, start: step.start });
          }
        } else if (step.kind === "meta") {
          if (!topicSeen.has(step.key)) {
            topicSeen.add(step.key);
            topics.push({ key: step.key, topic: s.name, partitions: step.partitions });
          }
        } else if (step.kind === "lazy") {
          if (lazySeen.has(step.key)) continue;
          lazySeen.add(step.key);
          lazyKeys.push({
            key: step.key,
            type: step.type,
            purpose: step.purpose,
            topic: s.name,
            group: g.name,
          });
        }
      }
    }
  }
  return { keyPrefix, topics, streams: [...streams.values()], lazyKeys };
}

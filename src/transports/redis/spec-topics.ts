/**
 * The Redis part of a topology spec → the transport's per-topic settings (`topics`), and the spec as the
 * source of truth for which topics and groups exist. The one place this mapping is made: the transport's
 * `topology` option, `mqa topology` (src/topology/expand-redis.ts) and `mqa tail` all go through it, so what
 * the tool applies is what the runtime reads and writes.
 */
import { InvalidOptionsError } from "../../core/errors.js";
import { durationMs, type Duration } from "../../spec/duration.js";
import type { TopologySpec } from "../../spec/schema/spec.js";
import type { FieldMapping } from "./fields.js";
import type { TrimPolicy } from "./naming.js";

/** One topic's settings as a spec gives them, in the shape of the transport's `topics.<topic>` option. */
export interface SpecTopicSettings {
  partitions: number;
  trim?: NonNullable<TrimPolicy>;
  key?: string;
  fields?: FieldMapping;
  groups: Record<string, { existing?: boolean }>;
}

/** What the Redis part of a spec says, for the transport. */
export interface RedisSpecSettings {
  /** `redis.keyPrefix`, when the spec sets one. */
  keyPrefix: string | undefined;
  /** Per topic (`redis.streams[].name`). */
  topics: Record<string, SpecTopicSettings>;
  /** Topic → the groups the spec lists for it: the names the transport accepts. */
  known: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A stream's `retention` as the transport's trim policy. */
export function trimPolicyOf(
  retention: { maxLength?: number; maxAge?: Duration } | undefined,
): NonNullable<TrimPolicy> | undefined {
  if (retention?.maxLength !== undefined) return { maxLen: retention.maxLength };
  if (retention?.maxAge !== undefined) return { maxAgeMs: durationMs(retention.maxAge) };
  return undefined;
}

/** The transport's per-topic settings from a validated spec's `redis` part. */
export function redisSettingsFromSpec(spec: TopologySpec): RedisSpecSettings {
  const entries: [string, SpecTopicSettings][] = [];
  const known = new Map<string, ReadonlySet<string>>();
  for (const s of spec.redis?.streams ?? []) {
    const trim = trimPolicyOf(s.retention);
    const groups = (s.groups ?? []).map((g): [string, { existing?: boolean }] => [
      g.name,
      g.existing === undefined ? {} : { existing: g.existing },
    ]);
    entries.push([
      s.name,
      {
        partitions: s.partitions ?? 1,
        ...(trim ? { trim } : {}),
        ...(s.key === undefined ? {} : { key: s.key }),
        ...(s.fields === undefined ? {} : { fields: s.fields }),
        // fromEntries: a topic or group named `__proto__` stays an entry of its own.
        groups: Object.fromEntries(groups),
      },
    ]);
    known.set(s.name, new Set(groups.map(([g]) => g)));
  }
  return { keyPrefix: spec.redis?.keyPrefix, topics: Object.fromEntries(entries), known };
}

function list(names: Iterable<string>): string {
  const all = [...names].map((n) => `'${n}'`);
  return all.length === 0 ? "(none)" : all.join(", ");
}

/**
 * With a topology spec, the spec is the source of truth: throw {@link InvalidOptionsError} for a topic (or a
 * group of a topic) it does not list, naming the ones it does.
 */
export function requireSpecTopic(
  known: ReadonlyMap<string, ReadonlySet<string>>,
  topic: string,
  group?: string,
): void {
  const groups = known.get(topic);
  if (groups === undefined)
    throw new InvalidOptionsError(
      `topic '${topic}' is not in the topology spec (RedisTransport options.topology): add it to redis.streams, ` +
        `or use one of its topics: ${list(known.keys())}`,
      { details: { topic } },
    );
  if (group === undefined || groups.has(group)) return;
  throw new InvalidOptionsError(
    groups.size > 0
      ? `group '${group}' of topic '${topic}' is not in the topology spec (RedisTransport options.topology): ` +
          `add it to the stream's groups, or use one of: ${list(groups)}`
      : `topic '${topic}' has no groups in the topology spec (RedisTransport options.topology): add ` +
          `{ name: '${group}' } to its groups in redis.streams`,
    { details: { topic, group } },
  );
}

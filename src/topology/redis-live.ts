/** Reads what a Redis holds for the keys a {@link RedisTopologyModel} names. */
import type { RedisTopologyModel } from "./expand-redis.js";
import type { RedisAdmin } from "../brokers/redis-admin.js";
import { pairs } from "../brokers/redis-streams.js";
import type { TrimPolicy } from "../transports/redis/layout.js";

/** Hash (under the key prefix) where apply records each stream's declared trimming; Redis has no such setting. */
export function retentionMetaKey(keyPrefix: string): string {
  return `${keyPrefix}:topology:retention`;
}

export interface LiveStream {
  /** `stream`, or another type when the key is taken by something else. */
  type: string;
  length: number;
  groups: { name: string; pending: number; lag: number | null }[];
}

export interface RedisLiveState {
  /** Only the keys the model names; absent keys are missing. */
  streams: Map<string, LiveStream>;
  retention: Map<string, NonNullable<TrimPolicy>>;
  /** meta hash key → recorded partition count (absent when never declared). */
  partitions: Map<string, number>;
}

/** Live state of the model's streams and their recorded retention. */
export async function readRedisState(redis: RedisAdmin, model: RedisTopologyModel): Promise<RedisLiveState> {
  const streams = new Map<string, LiveStream>();
  for (const s of model.streams) {
    const type = String(await redis.call("TYPE", s.key));
    if (type === "none") continue;
    if (type !== "stream") {
      streams.set(s.key, { type, length: 0, groups: [] });
      continue;
    }
    const length = Number(await redis.call("XLEN", s.key));
    const groups = ((await redis.call("XINFO", "GROUPS", s.key)) as unknown[]).map((g) => {
      const info = pairs(g);
      const lag = info["lag"];
      return {
        name: String(info["name"]),
        pending: Number(info["pending"] ?? 0),
        lag: lag === null || lag === undefined ? null : Number(lag),
      };
    });
    streams.set(s.key, { type, length, groups });
  }
  const retention = new Map<string, NonNullable<TrimPolicy>>();
  const raw = pairs(await redis.call("HGETALL", retentionMetaKey(model.keyPrefix)));
  for (const [key, value] of Object.entries(raw)) {
    try {
      retention.set(key, JSON.parse(String(value)) as NonNullable<TrimPolicy>);
    } catch {
      // A hand-edited entry: treat it as absent so the plan rewrites it.
    }
  }
  const partitions = new Map<string, number>();
  for (const t of model.topics) {
    const stored = await redis.call("HGET", t.key, "partitions");
    if (stored !== null && stored !== undefined) partitions.set(t.key, Number(stored));
  }
  return { streams, retention, partitions };
}

/** Desired Redis model against live state → changes. Scope: the keys the spec names. */
import { stableJson } from "./expand-rabbit.js";
import type { RedisModel } from "./expand-redis.js";
import type { RedisChange } from "./plan-types.js";
import { RETENTION_META_KEY, type RedisLiveState } from "./redis-live.js";

/** The changes that bring Redis to the model. */
export function planRedis(
  model: RedisModel,
  live: RedisLiveState,
): { changes: RedisChange[]; unchanged: number } {
  const changes: RedisChange[] = [];
  let unchanged = 0;
  const metaKey = model.keyPrefix + RETENTION_META_KEY;
  for (const s of model.streams) {
    const actual = live.streams.get(s.key);
    if (actual && actual.type !== "stream") {
      changes.push({
        broker: "redis",
        action: "replace",
        kind: "stream",
        name: s.key,
        fields: [{ field: "type", from: actual.type, to: "stream" }],
        migration: [
          `key "${s.key}" holds a ${actual.type}, not a stream: rename or remove it (it is not mqa's), then apply again`,
        ],
        ops: [],
        undo: [],
      });
      continue;
    }
    if (!actual) {
      changes.push({
        broker: "redis",
        action: "create",
        kind: "stream",
        name: s.key,
        fields: [],
        ops: [{ op: "create-stream", key: s.key }],
        undo: [{ op: "delete-stream-if-empty", key: s.key }],
      });
    } else unchanged++;
    const liveGroups = new Set(actual?.groups.map((g) => g.name) ?? []);
    for (const g of s.groups) {
      if (liveGroups.has(g.name)) {
        unchanged++;
        continue;
      }
      changes.push({
        broker: "redis",
        action: "create",
        kind: "group",
        name: `${s.key} ${g.name}`,
        fields: [{ field: "startId", from: undefined, to: g.startId }],
        ops: [{ op: "create-group", key: s.key, group: g.name, startId: g.startId }],
        undo: [{ op: "destroy-group", key: s.key, group: g.name }],
      });
    }
    if (s.role === "partition") {
      const wanted = new Set(s.groups.map((g) => g.name));
      for (const g of actual?.groups ?? []) {
        if (wanted.has(g.name)) continue;
        changes.push({
          broker: "redis",
          action: "delete",
          kind: "group",
          name: `${s.key} ${g.name}`,
          fields: [{ field: "pending", from: g.pending, to: undefined }],
          ops: [{ op: "destroy-group", key: s.key, group: g.name }],
          // The group comes back reading from the end; its pending entries are gone for good.
          undo: [{ op: "create-group", key: s.key, group: g.name, startId: "$" }],
        });
      }
      const want = Object.keys(s.retention).length === 0 ? undefined : s.retention;
      const have = live.retention.get(s.key);
      if (stableJson(want ?? null) === stableJson(have ?? null)) {
        if (want) unchanged++;
        continue;
      }
      changes.push({
        broker: "redis",
        action: have ? "update" : "create",
        kind: "retention",
        name: s.key,
        fields: [{ field: "retention", from: have, to: want }],
        ops: [{ op: "set-retention", metaKey, key: s.key, retention: want ?? null }],
        undo: [{ op: "set-retention", metaKey, key: s.key, retention: have ?? null }],
      });
    }
  }
  return { changes, unchanged };
}

/** Desired Redis model against live state → changes. Scope: the keys the spec names. */
import { stableJson } from "./expand-rabbit.js";
import type { RedisTopologyModel } from "./expand-redis.js";
import type { RedisChange } from "./plan-types.js";
import { retentionMetaKey, type RedisLiveState } from "./redis-live.js";
import type { RedisOp } from "./redis-ops.js";

/** The changes that bring Redis to the model. */
export function planRedis(
  model: RedisTopologyModel,
  live: RedisLiveState,
): { changes: RedisChange[]; unchanged: number } {
  const changes: RedisChange[] = [];
  let unchanged = 0;
  const metaKey = retentionMetaKey(model.keyPrefix);
  for (const t of model.topics) {
    const stored = live.partitions.get(t.key);
    if (stored === t.partitions) {
      unchanged++;
    } else if (stored === undefined) {
      changes.push({
        broker: "redis",
        action: "create",
        kind: "partitions",
        name: t.topic,
        fields: [{ field: "partitions", from: undefined, to: t.partitions }],
        ops: [{ op: "set-partitions", metaKey: t.key, partitions: t.partitions }],
        undo: [{ op: "delete-meta-if-unused", metaKey: t.key, partitions: t.partitions }],
      });
    } else {
      changes.push({
        broker: "redis",
        action: "replace",
        kind: "partitions",
        name: t.topic,
        fields: [{ field: "partitions", from: stored, to: t.partitions }],
        migration: [
          `topic "${t.topic}" has ${stored} partition(s) on the server; every process refuses another count, so changing it is a migration:`,
          `1. create a new topic (e.g. "${t.topic}-v2") with ${t.partitions} partitions and its groups`,
          `2. move publishers to it, then let the consumers drain "${t.topic}" (its pending entries and lag reach 0)`,
          `3. move consumers to the new topic and remove the old keys (pattern ${t.key.replace(/:meta$/, "*")})`,
        ],
        ops: [],
        undo: [],
      });
    }
  }
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
    type Group = RedisTopologyModel["streams"][number]["groups"][number];
    const create = (group: string, start: "0" | "0-if-first-group-else-$"): RedisOp => ({
      op: "create-group",
      key: s.key,
      group,
      start,
    });
    const destroy = (group: string): RedisOp => ({ op: "destroy-group", key: s.key, group });
    // Groups the spec marks `existing` are their owner's to create: never an operation of ours. Missing,
    // they show as a change for a person (skipped by apply), with the command that makes them.
    const ours = s.groups.flatMap((g) => (g.start === "existing" ? [] : [create(g.name, g.start)]));
    const expectExisting = (g: Group): void => {
      changes.push({
        broker: "redis",
        action: "replace",
        kind: "existing group",
        name: `${s.key} ${g.name}`,
        fields: [{ field: "group", from: undefined, to: g.name }],
        migration: [
          `group "${g.name}" on stream "${s.key}" is declared existing: true, so mqa never creates it.`,
          `Create it where the stream is owned (XGROUP CREATE ${s.key} ${g.name} $ MKSTREAM), or drop existing to let mqa create it.`,
        ],
        ops: [],
        undo: [],
      });
    };
    if (!actual) {
      // XGROUP CREATE … MKSTREAM makes the stream; undo removes it only while it is still empty.
      if (ours.length > 0)
        changes.push({
          broker: "redis",
          action: "create",
          kind: s.role === "retry" ? "retry stream" : "stream",
          name: s.key,
          fields: [
            {
              field: "groups",
              from: undefined,
              to: s.groups.filter((g) => g.start !== "existing").map((g) => g.name),
            },
          ],
          ops: ours,
          undo: [
            ...s.groups.filter((g) => g.start !== "existing").map((g) => destroy(g.name)),
            { op: "delete-stream-if-empty", key: s.key },
          ],
        });
      for (const g of s.groups) if (g.start === "existing") expectExisting(g);
    } else {
      unchanged++;
      const liveGroups = new Set(actual.groups.map((g) => g.name));
      for (const g of s.groups) {
        if (liveGroups.has(g.name)) {
          unchanged++;
          continue;
        }
        if (g.start === "existing") {
          expectExisting(g);
          continue;
        }
        changes.push({
          broker: "redis",
          action: "create",
          kind: "group",
          name: `${s.key} ${g.name}`,
          fields: [],
          ops: [create(g.name, g.start)],
          undo: [destroy(g.name)],
        });
      }
      const wanted = new Set(s.groups.map((g) => g.name));
      for (const g of actual.groups) {
        // Another program's stream: the groups the spec does not list are that program's, not ours to prune.
        if (wanted.has(g.name) || s.foreign) continue;
        changes.push({
          broker: "redis",
          action: "delete",
          kind: "group",
          name: `${s.key} ${g.name}`,
          fields: [{ field: "pending", from: g.pending, to: undefined }],
          ops: [destroy(g.name)],
          // The group comes back reading only new entries; what it had pending is gone for good.
          undo: [{ op: "create-group", key: s.key, group: g.name, start: "0-if-first-group-else-$" }],
        });
      }
    }
    if (s.role !== "partition") continue;
    const want = s.trim;
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
      fields: [{ field: "trim", from: have, to: want }],
      ops: [{ op: "set-retention", metaKey, key: s.key, retention: want ?? null }],
      undo: [{ op: "set-retention", metaKey, key: s.key, retention: have ?? null }],
    });
  }
  return { changes, unchanged };
}

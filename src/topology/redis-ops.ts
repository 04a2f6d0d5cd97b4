/**
 * The operations a Redis plan, an apply and a rollback are made of, as plain data, and the one place that
 * turns them into commands. Group creation and stream removal are Lua, so each decision and its action are
 * one atomic step (a stream is only ever removed when it holds no entry and no group).
 */
import type { RedisAdmin } from "../brokers/redis-admin.js";

import { declareGroupLua, type TrimPolicy } from "../transports/redis/layout.js";

export type RedisOp =
  | { op: "delete-stream-if-empty"; key: string }
  /** `XGROUP CREATE … MKSTREAM`; `start` as in the transport's declaration plan. */
  | { op: "create-group"; key: string; group: string; start: "0" | "0-if-first-group-else-$" }
  | { op: "destroy-group"; key: string; group: string }
  /** The topic's partition count in the transport's meta hash (set once; the transport refuses other counts). */
  | { op: "set-partitions"; metaKey: string; partitions: number }
  /** Undo of set-partitions: remove the meta hash while it still says `partitions` and holds nothing else. */
  | { op: "delete-meta-if-unused"; metaKey: string; partitions: number }
  /** Record (or with `retention: null`, forget) a stream's declared retention in the metadata hash. */
  | { op: "set-retention"; metaKey: string; key: string; retention: NonNullable<TrimPolicy> | null };

/** KEYS[1] stream. Deletes it only when it is a stream with no entries and no groups. Returns 1 if deleted. */
const DELETE_EMPTY_STREAM = `if redis.call('TYPE', KEYS[1])['ok'] ~= 'stream' then return 0 end
if redis.call('XLEN', KEYS[1]) ~= 0 then return 0 end
if #redis.call('XINFO', 'GROUPS', KEYS[1]) ~= 0 then return 0 end
return redis.call('DEL', KEYS[1])`;

/** KEYS[1] meta hash; ARGV[1] partitions. Deletes it only when it holds exactly that partition count. */
const DELETE_UNUSED_META = `if redis.call('HLEN', KEYS[1]) == 1 and redis.call('HGET', KEYS[1], 'partitions') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** Carry out one operation. Idempotent: an existing group or a missing one is not an error. */
export async function runRedisOp(redis: RedisAdmin, op: RedisOp): Promise<void> {
  switch (op.op) {
    case "delete-stream-if-empty":
      await redis.call("EVAL", DELETE_EMPTY_STREAM, 1, op.key);
      return;
    case "create-group":
      // The transport's own script, so the start rule is decided exactly as a running consumer decides it.
      await redis.call("EVAL", declareGroupLua, 1, op.key, op.group, op.start === "0" ? "0" : "auto");
      return;
    case "set-partitions":
      await redis.call("HSETNX", op.metaKey, "partitions", op.partitions);
      return;
    case "delete-meta-if-unused":
      await redis.call("EVAL", DELETE_UNUSED_META, 1, op.metaKey, op.partitions);
      return;
    case "destroy-group":
      try {
        await redis.call("XGROUP", "DESTROY", op.key, op.group);
      } catch (err) {
        if (!/no such key|ERR The XGROUP subcommand requires the key to exist/i.test((err as Error).message))
          throw err;
      }
      return;
    case "set-retention":
      if (op.retention === null) await redis.call("HDEL", op.metaKey, op.key);
      else await redis.call("HSET", op.metaKey, op.key, JSON.stringify(op.retention));
      return;
  }
}

/**
 * The operations a Redis plan, an apply and a rollback are made of, as plain data, and the one place that
 * turns them into commands. Creating and deleting a stream are guarded by Lua so they can never touch a
 * stream that holds entries.
 */
import type { TopologyRedis } from "./redis-client.js";

export interface RetentionRecord {
  maxLength?: number;
  maxAgeMs?: number;
}

export type RedisOp =
  | { op: "create-stream"; key: string }
  | { op: "delete-stream-if-empty"; key: string }
  | { op: "create-group"; key: string; group: string; startId: string }
  | { op: "destroy-group"; key: string; group: string }
  /** Record (or with `retention: null`, forget) a stream's declared retention in the metadata hash. */
  | { op: "set-retention"; metaKey: string; key: string; retention: RetentionRecord | null };

/** KEYS[1] stream. Creates an empty stream when the key does not exist. Returns 1 if created, 0 if it existed. */
const CREATE_EMPTY_STREAM = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '0', '*', 'mqa', 'init')
return 1`;

/** KEYS[1] stream. Deletes it only when it is a stream with no entries and no groups. Returns 1 if deleted. */
const DELETE_EMPTY_STREAM = `if redis.call('TYPE', KEYS[1])['ok'] ~= 'stream' then return 0 end
if redis.call('XLEN', KEYS[1]) ~= 0 then return 0 end
if #redis.call('XINFO', 'GROUPS', KEYS[1]) ~= 0 then return 0 end
return redis.call('DEL', KEYS[1])`;

/** Carry out one operation. Idempotent: an existing group or a missing one is not an error. */
export async function runRedisOp(redis: TopologyRedis, op: RedisOp): Promise<void> {
  switch (op.op) {
    case "create-stream":
      await redis.command("EVAL", CREATE_EMPTY_STREAM, 1, op.key);
      return;
    case "delete-stream-if-empty":
      await redis.command("EVAL", DELETE_EMPTY_STREAM, 1, op.key);
      return;
    case "create-group":
      try {
        await redis.command("XGROUP", "CREATE", op.key, op.group, op.startId, "MKSTREAM");
      } catch (err) {
        if (!/BUSYGROUP/.test((err as Error).message)) throw err;
      }
      return;
    case "destroy-group":
      try {
        await redis.command("XGROUP", "DESTROY", op.key, op.group);
      } catch (err) {
        if (!/no such key|ERR The XGROUP subcommand requires the key to exist/i.test((err as Error).message))
          throw err;
      }
      return;
    case "set-retention":
      if (op.retention === null) await redis.command("HDEL", op.metaKey, op.key);
      else await redis.command("HSET", op.metaKey, op.key, JSON.stringify(op.retention));
      return;
  }
}

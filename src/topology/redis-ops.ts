/**
 * The operations a Redis plan, an apply and a rollback are made of, as plain data, and the one place that
 * turns them into commands. Group creation and stream removal are Lua, so each decision and its action are
 * one atomic step (a stream is only ever removed when it holds no entry and no group).
 */
import type { TopologyRedis } from "./redis-client.js";

import type { TrimPolicy } from "../transports/redis/naming.js";

export type RedisOp =
  | { op: "delete-stream-if-empty"; key: string }
  /** `XGROUP CREATE … MKSTREAM`; `start` as in the transport's declaration plan. */
  | { op: "create-group"; key: string; group: string; start: "0" | "0-if-first-group-else-$" }
  | { op: "destroy-group"; key: string; group: string }
  /** Record (or with `retention: null`, forget) a stream's declared retention in the metadata hash. */
  | { op: "set-retention"; metaKey: string; key: string; retention: NonNullable<TrimPolicy> | null };

/**
 * KEYS[1] stream; ARGV[1] group; ARGV[2] `0` or `0-if-first-group-else-$`. Creates the group (and the stream)
 * unless it exists; the start rule is decided here, atomically, as the transport decides it. Returns 1 if
 * created, 0 if the group existed.
 */
const CREATE_GROUP = `local start = '0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
  for _, g in ipairs(groups) do
    for i = 1, #g, 2 do
      if g[i] == 'name' and g[i + 1] == ARGV[1] then return 0 end
    end
  end
  if ARGV[2] ~= '0' and #groups > 0 then start = '$' end
end
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, 'MKSTREAM')
return 1`;

/** KEYS[1] stream. Deletes it only when it is a stream with no entries and no groups. Returns 1 if deleted. */
const DELETE_EMPTY_STREAM = `if redis.call('TYPE', KEYS[1])['ok'] ~= 'stream' then return 0 end
if redis.call('XLEN', KEYS[1]) ~= 0 then return 0 end
if #redis.call('XINFO', 'GROUPS', KEYS[1]) ~= 0 then return 0 end
return redis.call('DEL', KEYS[1])`;

/** Carry out one operation. Idempotent: an existing group or a missing one is not an error. */
export async function runRedisOp(redis: TopologyRedis, op: RedisOp): Promise<void> {
  switch (op.op) {
    case "delete-stream-if-empty":
      await redis.command("EVAL", DELETE_EMPTY_STREAM, 1, op.key);
      return;
    case "create-group":
      await redis.command("EVAL", CREATE_GROUP, 1, op.key, op.group, op.start);
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

/** The group-creation script, for the exported Redis command script. */
export const CREATE_GROUP_SCRIPT = CREATE_GROUP;

/**
 * A Redis command script (one command per line, for `redis-cli < file`) that creates what a spec declares,
 * with the Redis transport's own group-creation script (declare-group.lua). Safe to run twice and on a live Redis.
 */
import type { RedisTopologyModel } from "./expand-redis.js";
import { retentionMetaKey } from "./redis-live.js";
import { declareGroupLua } from "../transports/redis/layout.js";

/** Quote an argument the way redis-cli reads it. */
function quote(arg: string | number): string {
  const s = String(arg);
  return /^[A-Za-z0-9_.:{}$*@#-]+$/.test(s)
    ? s
    : `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

const line = (...args: (string | number)[]): string => args.map(quote).join(" ");

/** The script, as text. */
export function redisScript(model: RedisTopologyModel): string {
  // No comment lines: redis-cli would send them as commands. Each EVAL replies 1 (created) or 0 (existed).
  const out: string[] = [];
  for (const t of model.topics) out.push(line("HSETNX", t.key, "partitions", t.partitions));
  for (const s of model.streams) {
    for (const g of s.groups) {
      // A group declared `existing` is its owner's to create: the script leaves it out.
      if (g.start === "existing") continue;
      out.push(line("EVAL", declareGroupLua, 1, s.key, g.name, g.start === "0" ? "0" : "auto"));
    }
    if (s.trim) out.push(line("HSET", retentionMetaKey(model.keyPrefix), s.key, JSON.stringify(s.trim)));
  }
  return `${out.join("\n")}\n`;
}

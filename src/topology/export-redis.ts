/**
 * A Redis command script (one command per line, for `redis-cli < file`) that creates what a spec declares.
 * Safe to run twice and on a live Redis: groups are created only when missing (`BUSYGROUP` is harmless),
 * empty streams only when the key is free.
 */
import type { RedisModel } from "./expand-redis.js";
import { RETENTION_META_KEY } from "./redis-live.js";

/** Quote an argument the way redis-cli reads it. */
function quote(arg: string | number): string {
  const s = String(arg);
  return /^[A-Za-z0-9_.:{}$*@-]+$/.test(s) ? s : `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const line = (...args: (string | number)[]): string => args.map(quote).join(" ");

/** The script, as text. */
export function redisScript(model: RedisModel): string {
  const out = [
    "# mqa topology: run with `redis-cli -u redis://host:6379 < this-file`. Safe to run again.",
    "# BUSYGROUP replies mean the group already exists.",
  ];
  const metaKey = model.keyPrefix + RETENTION_META_KEY;
  for (const s of model.streams) {
    if (s.groups.length === 0) {
      out.push(
        line(
          "EVAL",
          "if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('XADD', KEYS[1], 'MAXLEN', '0', '*', 'mqa', 'init') end return 1",
          1,
          s.key,
        ),
      );
    }
    for (const g of s.groups) out.push(line("XGROUP", "CREATE", s.key, g.name, g.startId, "MKSTREAM"));
    if (s.role === "partition" && Object.keys(s.retention).length > 0) {
      out.push(line("HSET", metaKey, s.key, JSON.stringify(s.retention)));
    }
  }
  return `${out.join("\n")}\n`;
}

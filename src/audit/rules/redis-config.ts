/** Redis persistence and memory rules: what survives a restart, and what Redis deletes on its own. */
import { configOf, redisOf, settingRef } from "./redis-helpers.js";
import type { Rule } from "./rule.js";

export const appendonlyOff: Rule = {
  id: "redis-appendonly-off",
  title: "AOF persistence is off",
  severity: "high",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "Without the append-only file, a restart or crash loses every stream entry, group and pending entry written since the last RDB snapshot (minutes of messages, or all of them if snapshots are off).",
  fix: "redis.conf: appendonly yes\nappendfsync everysec   # or at runtime: CONFIG SET appendonly yes; CONFIG REWRITE",
  check(ctx) {
    const c = configOf(ctx);
    if (c?.["appendonly"] !== "no") return [];
    const file = redisOf(ctx)?.file;
    const written = file === undefined || ctx.model.settingLines?.has("appendonly");
    return [
      {
        ...settingRef("appendonly"),
        message: written ? "appendonly is no" : "appendonly is not set (Redis defaults to no)",
        ...(written ? {} : { location: { kind: "setting", name: "appendonly", file: file.file, line: 1 } }),
      },
    ];
  },
};

export const noPersistence: Rule = {
  id: "redis-no-persistence",
  title: "No persistence at all (no AOF, no RDB snapshots)",
  severity: "critical",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "Redis is purely in memory: any restart, crash or failover to an empty replica deletes every stream and consumer group.",
  fix: "redis.conf: appendonly yes\nappendfsync everysec",
  check(ctx) {
    const c = configOf(ctx);
    if (c?.["appendonly"] !== "no" || (c["save"] ?? "x").trim() !== "") return [];
    return [{ ...settingRef("save"), message: 'appendonly is no and save is "" (no snapshots)' }];
  },
};

export const appendfsyncNo: Rule = {
  id: "redis-appendfsync-no",
  title: "appendfsync no",
  severity: "medium",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "Redis never fsyncs the AOF and leaves it to the OS (typically 30 s): a power loss or kernel crash loses that window of acknowledged writes.",
  fix: "redis.conf: appendfsync everysec   # at most 1 s of writes at risk; 'always' for none",
  check(ctx) {
    const c = configOf(ctx);
    if (c?.["appendfsync"] !== "no" || c["appendonly"] === "no") return [];
    return [{ ...settingRef("appendfsync"), message: "appendfsync is no" }];
  },
};

export const noFsyncOnRewrite: Rule = {
  id: "redis-no-appendfsync-on-rewrite",
  title: "fsync suspended during AOF rewrites",
  severity: "low",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "no-appendfsync-on-rewrite yes skips fsync while a rewrite or snapshot runs; a crash then can lose up to ~30 s of writes, exactly during the busy periods that trigger rewrites.",
  fix: "redis.conf: no-appendfsync-on-rewrite no",
  check(ctx) {
    const c = configOf(ctx);
    if (c?.["no-appendfsync-on-rewrite"] !== "yes" || c["appendonly"] === "no") return [];
    return [{ ...settingRef("no-appendfsync-on-rewrite"), message: "no-appendfsync-on-rewrite is yes" }];
  },
};

export const evictionPolicy: Rule = {
  id: "redis-maxmemory-policy-evicts",
  title: "maxmemory-policy can evict keys",
  severity: "high",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "At the memory limit Redis deletes whole keys to make room. A stream is one key: an eviction deletes the stream, its consumer groups and every pending entry at once, with no error to anyone.",
  fix: "redis.conf: maxmemory-policy noeviction   # writes fail loudly at the limit instead; keep caches in another instance",
  check(ctx) {
    const c = configOf(ctx);
    const p = c?.["maxmemory-policy"];
    if (p === undefined || p === "noeviction") return [];
    const unlimited = c?.["maxmemory"] === "0";
    return [
      {
        ...settingRef("maxmemory-policy"),
        severity: unlimited ? "medium" : undefined,
        message: `maxmemory-policy is ${p}${unlimited ? " (dormant while maxmemory is 0)" : ""}`,
      },
    ];
  },
};

export const maxmemoryZero: Rule = {
  id: "redis-maxmemory-unset",
  title: "maxmemory is 0 (no limit)",
  severity: "medium",
  category: "operations",
  broker: "redis",
  liveOnly: true,
  files: ["redis-conf"],
  why: "Redis grows until the kernel's OOM killer ends it, losing everything since the last persisted write; with a limit and noeviction, writers get an error instead and the data stays.",
  fix: "redis.conf: maxmemory 4gb   # ~70% of the memory reserved for Redis\nmaxmemory-policy noeviction",
  check(ctx) {
    if (configOf(ctx)?.["maxmemory"] !== "0") return [];
    return [{ ...settingRef("maxmemory"), message: "maxmemory is 0" }];
  },
};

export const memoryNearLimit: Rule = {
  id: "redis-memory-near-limit",
  title: "Memory use near maxmemory",
  severity: "high",
  category: "operations",
  broker: "redis",
  liveOnly: true,
  why: "At the limit XADD fails (noeviction) or keys are evicted (other policies): producers error out or streams vanish.",
  fix: "trim streams (XTRIM key MAXLEN ~ N), add consumers, or raise maxmemory",
  check(ctx) {
    const r = redisOf(ctx);
    const used = Number(r?.info["used_memory"]);
    const max = Number(r?.config?.["maxmemory"] ?? r?.info["maxmemory"]);
    if (
      !r ||
      !Number.isFinite(used) ||
      !Number.isFinite(max) ||
      max <= 0 ||
      used / max < ctx.thresholds.nearLimit
    )
      return [];
    return [
      {
        ...settingRef("maxmemory"),
        message: `used_memory ${used} is ${Math.round((100 * used) / max)}% of maxmemory ${max}`,
      },
    ];
  },
};

export const persistenceFailing: Rule = {
  id: "redis-persistence-failing",
  title: "Last snapshot or AOF write failed",
  severity: "critical",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  why: "Redis keeps serving while persistence fails (or stops accepting writes with stop-writes-on-bgsave-error): what you believe is on disk is not.",
  fix: "check the Redis log and disk (space, permissions): INFO persistence shows which write failed",
  check(ctx) {
    const info = redisOf(ctx)?.info ?? {};
    const bad = ["rdb_last_bgsave_status", "aof_last_bgrewrite_status", "aof_last_write_status"].filter(
      (k) => info[k] !== undefined && info[k] !== "ok",
    );
    return bad.map((k) => ({ ...settingRef(k), message: `${k} is ${info[k]}` }));
  },
};

export const configNotInspectable: Rule = {
  id: "redis-config-not-inspectable",
  title: "Redis configuration cannot be inspected",
  severity: "info",
  category: "operations",
  broker: "redis",
  liveOnly: true,
  why: "CONFIG is renamed or denied to this user, so persistence and eviction settings could not be checked; the audit cannot vouch for them.",
  fix: "re-run the audit as a user allowed CONFIG GET (ACL SETUSER auditor on >... +config|get +info +acl|list +scan +type +xinfo +xpending ~*)",
  check(ctx) {
    const r = redisOf(ctx);
    if (!r || r.fromSpec || r.config !== undefined) return [];
    return [
      {
        ...settingRef("CONFIG"),
        message: `cannot inspect configuration: ${r.configUnavailable ?? "unknown reason"}`,
      },
    ];
  },
};

export const redisConfigRules: Rule[] = [
  appendonlyOff,
  noPersistence,
  appendfsyncNo,
  noFsyncOnRewrite,
  evictionPolicy,
  maxmemoryZero,
  memoryNearLimit,
  persistenceFailing,
  configNotInspectable,
];

/**
 * Live Redis source: configuration, INFO, ACL users and every stream with its groups, consumers and
 * pending entries. Read-only: the audit never writes to the server it inspects.
 */
import { connectRedisAdmin } from "../../brokers/redis-admin.js";
import { pairs, readStream, replyNumber as n, scanStreams } from "../../brokers/redis-streams.js";
import { maskUrl } from "../../core/redact.js";
import { sleep } from "../../core/sleep.js";
import type { AuditModel, RedisAclUser, RedisModel } from "../model.js";
import { emptyModel } from "./empty.js";

/** CONFIG keys whose values are secrets: kept only as "set" (****) or "" (unset). */
const SECRET_CONFIG = new Set([
  "requirepass",
  "masterauth",
  "tls-key-file-pass",
  "tls-client-key-file-pass",
  "masteruser",
]);

export interface RedisLiveOptions {
  /** Wait between two samples of group lag/pending to see growth; 0 takes one sample. @defaultValue 1000 */
  sampleMs?: number;
  /** Stop after this many streams (a SCAN over a huge keyspace). @defaultValue 10000 */
  maxStreams?: number;
  /** Only streams whose key matches this SCAN pattern. @defaultValue "*" */
  match?: string;
  /** Pending entries sampled per group for delivery counts. @defaultValue 100 */
  pendingSample?: number;
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 200);
}

/** Parse INFO text into key → value. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Summarise one `ACL LIST` line; `#<hash>` and `><password>` tokens go to `secrets`, never into the model. */
export function parseAclLine(line: string, secrets: Set<string>): RedisAclUser {
  const tokens = line.trim().split(/\s+/);
  const name = tokens[1] ?? "";
  let allCommands = false;
  let dangerous = false;
  for (const t of tokens.slice(2)) {
    if (t.startsWith("#") || t.startsWith(">")) secrets.add(t.slice(1));
    if (t === "+@all" || t === "allcommands") allCommands = dangerous = true;
    if (t === "+@dangerous") dangerous = true;
    if (t === "-@all" || t === "nocommands") allCommands = dangerous = false;
    if (t === "-@dangerous") dangerous = false;
  }
  return {
    name,
    enabled: tokens.includes("on"),
    nopass: tokens.includes("nopass"),
    allCommands,
    allKeys: tokens.includes("~*") || tokens.includes("allkeys"),
    dangerous,
  };
}

/** Load a live Redis into the audit model. */
export async function loadRedisLive(url: string, options: RedisLiveOptions = {}): Promise<AuditModel> {
  const { sampleMs = 1000, maxStreams = 10_000, match = "*", pendingSample = 100 } = options;
  const masked = maskUrl(url);
  const model = emptyModel({ kind: "redis-live", target: masked });
  try {
    const u = new URL(url);
    if (u.password) model.secrets.add(decodeURIComponent(u.password));
  } catch {
    // connectRedisAdmin reports a bad URL.
  }
  const r = await connectRedisAdmin(url);
  try {
    const redis: RedisModel = {
      url: masked,
      tls: url.startsWith("rediss:"),
      config: undefined,
      configUnavailable: undefined,
      info: {},
      aclUsers: undefined,
      streams: [],
      fromSpec: false,
    };
    try {
      const cfg = pairs(await r.call("CONFIG", "GET", "*"));
      redis.config = {};
      for (const [k, v] of Object.entries(cfg)) {
        const value = String(v);
        if (SECRET_CONFIG.has(k)) {
          if (value) model.secrets.add(value);
          redis.config[k] = value ? "****" : "";
        } else redis.config[k] = value;
      }
    } catch (err) {
      redis.configUnavailable = `CONFIG GET failed: ${errorText(err)}`;
    }
    try {
      redis.info = parseInfo(String(await r.call("INFO")));
    } catch (err) {
      model.inspectGaps.push({ what: "INFO", reason: errorText(err) });
    }
    try {
      const lines = (await r.call("ACL", "LIST")) as string[];
      redis.aclUsers = lines.map((l) => parseAclLine(l, model.secrets));
    } catch (err) {
      model.inspectGaps.push({ what: "ACL LIST", reason: errorText(err) });
    }
    const keys = await scanStreams(r, match, maxStreams);
    for (const key of keys) {
      try {
        redis.streams.push(await readStream(r, key, pendingSample));
      } catch (err) {
        // The key may have been deleted between SCAN and XINFO.
        if (!/no such key/i.test(errorText(err)))
          model.inspectGaps.push({ what: `stream ${key}`, reason: errorText(err) });
      }
    }
    if (sampleMs > 0 && redis.streams.some((s) => s.groups.length > 0)) {
      await sleep(sampleMs);
      for (const s of redis.streams) {
        if (s.groups.length === 0) continue;
        let again: unknown[];
        try {
          again = (await r.call("XINFO", "GROUPS", s.key)) as unknown[];
        } catch {
          continue;
        }
        for (const raw of again) {
          const g2 = pairs(raw);
          const g = s.groups.find((x) => x.name === String(g2["name"]));
          if (!g) continue;
          const lag2 = n(g2["lag"]);
          if (typeof g.lag === "number" && lag2 !== undefined) g.lagDelta = lag2 - g.lag;
          g.pendingDelta = (n(g2["pending"]) ?? 0) - g.pending;
        }
      }
    }
    model.redis = redis;
    return model;
  } finally {
    await r.close();
  }
}

/**
 * Read-only readers of a live Redis's streams, shared by the audit and the monitor: which keys are streams,
 * and one stream with its groups, consumers and pending entries. Only XINFO, XPENDING and SCAN: nothing here
 * writes to the server it inspects.
 */
import type { RedisAdmin } from "./redis-admin.js";

export interface RedisConsumer {
  name: string;
  pending: number;
  idleMs: number;
}

export interface RedisGroup {
  name: string;
  consumers: RedisConsumer[];
  pending: number;
  lastDeliveredId: string;
  /** Redis 7+: entries the group has read so far (`entries-read`); `undefined` when unknown. */
  entriesRead: number | undefined;
  /** `null` when Redis cannot compute it (entries trimmed or deleted); `undefined` before Redis 7. */
  lag: number | null | undefined;
  /** Change of lag / pending between two samples taken by the live source; `undefined` if not sampled. */
  lagDelta: number | undefined;
  pendingDelta: number | undefined;
  /** Smallest pending id, from XPENDING's summary. */
  oldestPendingId: string | undefined;
  /** Highest delivery count among the sampled pending entries. */
  maxDeliveryCount: number | undefined;
}

export interface RedisStream {
  key: string;
  length: number;
  firstEntryId: string | undefined;
  lastGeneratedId: string;
  /** Redis 7+: entries ever added; `undefined` on older servers or a spec. */
  entriesAdded: number | undefined;
  maxDeletedEntryId: string | undefined;
  /** Declared retention (spec source only); live streams show retention by having been trimmed. */
  retention: { maxLen?: number; minIdAgeMs?: number } | undefined;
  groups: RedisGroup[];
}

/** `[k1, v1, k2, v2]` → `{k1: v1, k2: v2}` (the shape of XINFO and CONFIG GET replies). */
export function pairs(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** A reply field as a finite number, else `undefined`. */
export function replyNumber(v: unknown): number | undefined {
  const x = typeof v === "number" ? v : typeof v === "string" && v !== "" ? Number(v) : NaN;
  return Number.isFinite(x) ? x : undefined;
}

const n = replyNumber;

async function readGroups(r: RedisAdmin, key: string, pendingSample: number): Promise<RedisGroup[]> {
  const groups: RedisGroup[] = [];
  for (const raw of (await r.call("XINFO", "GROUPS", key)) as unknown[]) {
    const g = pairs(raw);
    const name = String(g["name"]);
    const consumers: RedisConsumer[] = ((await r.call("XINFO", "CONSUMERS", key, name)) as unknown[]).map(
      (c) => {
        const p = pairs(c);
        return { name: String(p["name"]), pending: n(p["pending"]) ?? 0, idleMs: n(p["idle"]) ?? 0 };
      },
    );
    const pending = n(g["pending"]) ?? 0;
    let oldestPendingId: string | undefined;
    let maxDeliveryCount: number | undefined;
    if (pending > 0) {
      const summary = (await r.call("XPENDING", key, name)) as unknown[];
      oldestPendingId = typeof summary[1] === "string" ? summary[1] : undefined;
      const entries = (await r.call("XPENDING", key, name, "-", "+", pendingSample)) as unknown[][];
      maxDeliveryCount = Math.max(0, ...entries.map((e) => n(e[3]) ?? 0));
    }
    const lagRaw = g["lag"];
    groups.push({
      name,
      consumers,
      pending,
      lastDeliveredId: String(g["last-delivered-id"] ?? "0-0"),
      entriesRead: n(g["entries-read"]),
      // Redis 7 reports lag as nil when it cannot compute it; before 7 the field is absent.
      lag: "lag" in g ? (lagRaw === null ? null : (n(lagRaw) ?? null)) : undefined,
      lagDelta: undefined,
      pendingDelta: undefined,
      oldestPendingId,
      maxDeliveryCount,
    });
  }
  return groups;
}

/**
 * One stream with its groups (XINFO STREAM, XINFO GROUPS, XPENDING summary and delivery counts of up to
 * `pendingSample` pending entries per group). Rejects with Redis's "no such key" if the key is gone.
 */
export async function readStream(r: RedisAdmin, key: string, pendingSample: number): Promise<RedisStream> {
  const s = pairs(await r.call("XINFO", "STREAM", key));
  const first = s["first-entry"];
  return {
    key,
    length: n(s["length"]) ?? 0,
    firstEntryId: Array.isArray(first) && typeof first[0] === "string" ? first[0] : undefined,
    lastGeneratedId: String(s["last-generated-id"] ?? "0-0"),
    entriesAdded: n(s["entries-added"]),
    maxDeletedEntryId: typeof s["max-deleted-entry-id"] === "string" ? s["max-deleted-entry-id"] : undefined,
    retention: undefined,
    groups: await readGroups(r, key, pendingSample),
  };
}

/** Keys of type stream matching `match` (SCAN … TYPE stream), sorted, at most `max`. */
export async function scanStreams(r: RedisAdmin, match: string, max: number): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, batch] = (await r.call("SCAN", cursor, "MATCH", match, "COUNT", 1000, "TYPE", "stream")) as [
      string,
      string[],
    ];
    cursor = next;
    for (const k of batch) keys.add(k);
  } while (cursor !== "0" && keys.size < max);
  return [...keys].sort().slice(0, max);
}

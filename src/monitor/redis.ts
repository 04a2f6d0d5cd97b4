/**
 * Samples a live Redis: every stream (SCAN … TYPE stream) with its consumer groups, through the same
 * read-only commands the auditor uses. One connection is kept for the whole monitoring session.
 */
import { connectRedisAdmin, type RedisAdmin } from "../brokers/redis-admin.js";
import { readStream, scanStreams, type RedisStream } from "../brokers/redis-streams.js";
import { maskUrl } from "../core/redact.js";
import { dlqCommands, redisDlqAddress, withoutPassword } from "./dlq-commands.js";
import { DeadLetterReasons } from "./redis-dlq-reasons.js";
import { unescapeName } from "../transports/redis/layout.js";
import {
  looksLikeDeadLetters,
  type BrokerHealth,
  type DeadLetterDetail,
  type QueueStatus,
  type Snapshot,
} from "./snapshot.js";

/** A consumer that has not read for this long is not counted as consuming. */
const ACTIVE_CONSUMER_MS = 60_000;

/**
 * Topic and group of a group on stream `key`: mqa's `mqa:{orders}` (or partition `mqa:{orders#3}`) is topic
 * `orders`; a dead-letter stream `mqa:{orders}:dlq:billing` belongs to group `billing`; any other stream is
 * a topic of its own, named by its key.
 */
function addressOf(key: string, group: string): { topic: string; group: string } {
  const dlq = redisDlqAddress(key);
  if ("address" in dlq) return dlq.address;
  const m = /^mqa:\{([^{}]+)\}$/.exec(key);
  return { topic: m?.[1] !== undefined ? unescapeName(m[1].replace(/#\d+$/, "")) : key, group };
}

/** Version, clients, memory and replication from one `INFO`. */
async function readHealth(r: RedisAdmin): Promise<BrokerHealth> {
  const info = new Map<string, string>();
  for (const line of String(await r.call("INFO")).split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) info.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const int = (k: string): number | undefined => {
    const v = Number(info.get(k));
    return info.has(k) && Number.isFinite(v) ? v : undefined;
  };
  const used = int("used_memory");
  const limit = int("maxmemory");
  const role = info.get("role");
  return {
    broker: "redis",
    version: info.get("redis_version"),
    connections: int("connected_clients"),
    role,
    replicas: int("connected_slaves"),
    nodes: [
      {
        name: info.get("tcp_port") !== undefined ? `redis:${info.get("tcp_port")}` : "redis",
        running: true,
        // Redis has no alarms; at maxmemory it evicts or refuses writes, which is what an alarm means here.
        memoryAlarm: limit !== undefined && limit > 0 && used !== undefined && used >= limit,
        diskAlarm: false,
        memoryUsedBytes: used,
        memoryLimitBytes: limit !== undefined && limit > 0 ? limit : undefined,
        partitions: [],
      },
    ],
  };
}

export interface RedisSamplerOptions {
  /** SCAN pattern for stream keys. @defaultValue "*" */
  match?: string;
  /** At most this many streams. @defaultValue 10000 */
  maxStreams?: number;
}

export class RedisSampler {
  private runner: RedisAdmin | undefined;
  /** Entries ever added per stream at the previous sample, for publish rates. */
  private previous = new Map<string, { at: number; added: number }>();
  /** Entries read and pending per group at the previous sample, for deliver and ack rates. */
  private previousGroups = new Map<string, { at: number; read: number; pending: number }>();
  private readonly reasons = new DeadLetterReasons();
  /** The URL `mqa dlq` commands name: the monitor's own, without its password. */
  private readonly commandUrl: string | undefined;
  readonly target: string;

  constructor(
    private readonly url: string,
    private readonly options: RedisSamplerOptions = {},
  ) {
    this.target = maskUrl(url);
    this.commandUrl = withoutPassword(url);
  }

  /** The commands for a dead-letter stream and its newest entries' reasons (read-only). */
  private async deadLetterDetail(r: RedisAdmin, s: RedisStream, gaps: string[]): Promise<DeadLetterDetail> {
    const named = redisDlqAddress(s.key);
    const commands =
      "address" in named
        ? dlqCommands(this.commandUrl, named.address)
        : dlqCommands(this.commandUrl, undefined, named.reason);
    try {
      const { byReason, sampled } = await this.reasons.of(r, s);
      return { commands, byReason, sampled };
    } catch (err) {
      gaps.push(`stream ${s.key}: reasons not read: ${String(err)}`);
      return { commands, reasonsNote: "could not be read (see the notes)" };
    }
  }

  async sample(): Promise<Snapshot> {
    this.runner ??= await connectRedisAdmin(this.url);
    const r = this.runner;
    const now = Date.now();
    const gaps: string[] = [];
    const queues: QueueStatus[] = [];
    const seen = new Map<string, { at: number; added: number }>();
    const seenGroups = new Map<string, { at: number; read: number; pending: number }>();
    for (const key of await scanStreams(r, this.options.match ?? "*", this.options.maxStreams ?? 10_000)) {
      let s;
      try {
        s = await readStream(r, key, 10);
      } catch (err) {
        // Deleted between SCAN and XINFO: nothing to report.
        if (!/no such key/i.test(String(err))) gaps.push(`stream ${key}: ${String(err)}`);
        continue;
      }
      let publishRate: number | undefined;
      if (s.entriesAdded !== undefined) {
        seen.set(key, { at: now, added: s.entriesAdded });
        const before = this.previous.get(key);
        if (before && now > before.at)
          publishRate = ((s.entriesAdded - before.added) * 1000) / (now - before.at);
      }
      const deadLetters = looksLikeDeadLetters(key) ? await this.deadLetterDetail(r, s, gaps) : undefined;
      if (s.groups.length === 0) {
        // A stream nobody reads through a group is a log, not a queue, unless it holds dead letters.
        if (looksLikeDeadLetters(key))
          queues.push({
            broker: "redis",
            scope: key,
            name: "-",
            role: "dead-letter",
            backlog: s.length,
            inFlight: 0,
            consumers: 0,
            publishRate,
            ackRate: undefined,
            deadLetters,
            address: addressOf(key, "-"),
          });
        continue;
      }
      for (const g of s.groups) {
        if (g.lag === null || g.lag === undefined)
          gaps.push(`stream ${key} group ${g.name}: lag unknown (entries trimmed or deleted, or Redis < 7)`);
        const oldestMs = g.oldestPendingId ? Number.parseInt(g.oldestPendingId, 10) : NaN;
        // Read by the group since the last sample = delivered; of those, what left the pending list = acked.
        let deliverRate: number | undefined;
        let ackRate: number | undefined;
        // A new group reports no entries-read until it first reads; added − lag is the same count.
        const readSoFar =
          g.entriesRead ??
          (s.entriesAdded !== undefined && typeof g.lag === "number" ? s.entriesAdded - g.lag : undefined);
        if (readSoFar !== undefined) {
          const id = `${key}\u0000${g.name}`;
          seenGroups.set(id, { at: now, read: readSoFar, pending: g.pending });
          const before = this.previousGroups.get(id);
          if (before && now > before.at && readSoFar >= before.read) {
            const read = readSoFar - before.read;
            deliverRate = (read * 1000) / (now - before.at);
            ackRate = (Math.max(0, read - (g.pending - before.pending)) * 1000) / (now - before.at);
          }
        }
        queues.push({
          broker: "redis",
          scope: key,
          name: g.name,
          role: looksLikeDeadLetters(key) ? "dead-letter" : "work",
          backlog: typeof g.lag === "number" ? g.lag : 0,
          inFlight: g.pending,
          consumers: g.consumers.filter((c) => c.idleMs < ACTIVE_CONSUMER_MS).length,
          publishRate,
          ackRate,
          deliverRate,
          lag: typeof g.lag === "number" ? g.lag : undefined,
          address: addressOf(key, g.name),
          oldestPendingMs: Number.isFinite(oldestMs) ? Math.max(0, now - oldestMs) : undefined,
          ...(deadLetters !== undefined ? { deadLetters } : {}),
        });
      }
    }
    this.previous = seen;
    this.previousGroups = seenGroups;
    this.reasons.endSample();
    const health = await readHealth(r).catch((err: unknown) => {
      gaps.push(`INFO not readable: ${String(err)}`);
      return undefined;
    });
    return { at: new Date(now).toISOString(), target: this.target, queues, gaps, health };
  }

  async close(): Promise<void> {
    await this.runner?.close();
    this.runner = undefined;
  }
}

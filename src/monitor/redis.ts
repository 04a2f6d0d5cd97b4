/**
 * Samples a live Redis: every stream (SCAN … TYPE stream) with its consumer groups, through the same
 * read-only commands the auditor uses. One connection is kept for the whole monitoring session.
 */
import { connectRedisAdmin, type RedisAdmin } from "../brokers/redis-admin.js";
import { readStream, scanStreams, type RedisStream } from "../brokers/redis-streams.js";
import { maskUrl } from "../core/redact.js";
import { dlqCommands, redisDlqAddress, withoutPassword } from "./dlq-commands.js";
import { DeadLetterReasons } from "./redis-dlq-reasons.js";
import { looksLikeDeadLetters, type DeadLetterDetail, type QueueStatus, type Snapshot } from "./snapshot.js";

/** A consumer that has not read for this long is not counted as consuming. */
const ACTIVE_CONSUMER_MS = 60_000;

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
          });
        continue;
      }
      for (const g of s.groups) {
        if (g.lag === null || g.lag === undefined)
          gaps.push(`stream ${key} group ${g.name}: lag unknown (entries trimmed or deleted, or Redis < 7)`);
        const oldestMs = g.oldestPendingId ? Number.parseInt(g.oldestPendingId, 10) : NaN;
        queues.push({
          broker: "redis",
          scope: key,
          name: g.name,
          role: looksLikeDeadLetters(key) ? "dead-letter" : "work",
          backlog: typeof g.lag === "number" ? g.lag : 0,
          inFlight: g.pending,
          consumers: g.consumers.filter((c) => c.idleMs < ACTIVE_CONSUMER_MS).length,
          publishRate,
          ackRate: undefined,
          oldestPendingMs: Number.isFinite(oldestMs) ? Math.max(0, now - oldestMs) : undefined,
          ...(deadLetters !== undefined ? { deadLetters } : {}),
        });
      }
    }
    this.previous = seen;
    this.reasons.endSample();
    return { at: new Date(now).toISOString(), target: this.target, queues, gaps };
  }

  async close(): Promise<void> {
    await this.runner?.close();
    this.runner = undefined;
  }
}

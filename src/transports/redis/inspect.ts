/**
 * Read-only health of a group on a topic: lag, pending entries and their age, consumers, retries and
 * dead letters, per partition. For the monitor, the auditor and `mqa` commands.
 */
import type { RedisClient } from "./client.js";
import type { PartitionKeys } from "./naming.js";

/** Health of one group on one partition stream. */
export interface PartitionHealth {
  readonly partition: number;
  readonly stream: string;
  /** Entries in the stream (after trimming). */
  readonly length: number;
  /** Entries not yet delivered to the group (null when Redis cannot tell, e.g. after XDEL/XTRIM). */
  readonly lag: number | null;
  /** Delivered, not yet acknowledged (topic stream and retry stream). */
  readonly pending: number;
  /** How long the oldest pending entry has waited since its last delivery, ms (0 when none). */
  readonly oldestPendingIdleMs: number;
  readonly consumers: number;
  /** Retries waiting in the retry stream and in the delayed set. */
  readonly retrying: number;
  readonly delayed: number;
  readonly deadLetters: number;
}

function fieldsOf(row: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < row.length; i += 2) m.set(String(row[i]), row[i + 1]);
  return m;
}

/** Inspect `group` on one partition. A missing stream or group reads as empty. */
export async function inspectPartition(
  client: RedisClient,
  keys: PartitionKeys,
  group: string,
): Promise<PartitionHealth> {
  const groupInfo = async (stream: string): Promise<Map<string, unknown> | undefined> => {
    try {
      const rows = (await client.xinfo("GROUPS", stream)) as unknown[][];
      return rows.map(fieldsOf).find((g) => g.get("name") === group);
    } catch {
      return undefined; // no such stream
    }
  };
  const oldestIdle = async (stream: string): Promise<number> => {
    try {
      const rows = (await client.xpending(stream, group, "-", "+", 1)) as [string, string, number, number][];
      return rows[0]?.[2] ?? 0;
    } catch {
      return 0;
    }
  };
  const [main, retry, length, retrying, delayed, deadLetters] = await Promise.all([
    groupInfo(keys.stream),
    groupInfo(keys.retry),
    client.xlen(keys.stream),
    client.xlen(keys.retry),
    client.zcard(keys.delayed),
    client.xlen(keys.dlq),
  ]);
  const [idleMain, idleRetry] = await Promise.all([oldestIdle(keys.stream), oldestIdle(keys.retry)]);
  const lag = main?.get("lag");
  return {
    partition: keys.partition,
    stream: keys.stream,
    length,
    lag: typeof lag === "number" ? lag : main ? null : length,
    pending: Number(main?.get("pending") ?? 0) + Number(retry?.get("pending") ?? 0),
    oldestPendingIdleMs: Math.max(idleMain, idleRetry),
    consumers: Number(main?.get("consumers") ?? 0),
    retrying,
    delayed,
    deadLetters,
  };
}

/**
 * Recovery of a group's pending entries list (PEL): take over entries idle too long (their consumer
 * is presumed dead), drop entries that were deleted or trimmed while pending, and remove consumers
 * that are idle with nothing pending, so the PEL and the consumer list do not grow forever.
 */
import type { RedisClient } from "./client.js";
import type { RawEntry } from "./fields.js";
import { scripts } from "./scripts.js";
import { compareIds } from "./stream-id.js";

export interface ClaimResult {
  readonly entries: RawEntry[];
  /** Entry ids that were pending but no longer exist in the stream; XAUTOCLAIM removed them from the PEL. */
  readonly deleted: string[];
  /** Where the next scan starts; "0-0" when the PEL was scanned to its end. */
  readonly cursor: string;
}

/** XAUTOCLAIM up to `count` entries idle longer than `minIdleMs` to `consumer`. */
export async function reclaimIdleEntries(
  client: RedisClient,
  stream: string,
  group: string,
  consumer: string,
  minIdleMs: number,
  count: number,
  cursor = "0-0",
): Promise<ClaimResult> {
  const reply = (await client.callBuffer("XAUTOCLAIM", [
    stream,
    group,
    consumer,
    minIdleMs,
    cursor,
    "COUNT",
    count,
  ])) as [Buffer, RawEntry[], Buffer[]?];
  return {
    cursor: reply[0].toString(),
    entries: reply[1],
    deleted: (reply[2] ?? []).map((b) => b.toString()),
  };
}

/** Delivery counts of `consumer`'s pending entries `ids` (XPENDING extended form). */
export async function deliveryCounts(
  client: RedisClient,
  stream: string,
  group: string,
  consumer: string,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (ids.length === 0) return counts;
  const sorted = [...ids].sort(compareIds);
  const rows = (await client.xpending(
    stream,
    group,
    sorted[0]!,
    sorted[sorted.length - 1]!,
    ids.length * 2 + 10,
    consumer,
  )) as [string, string, number, number][];
  for (const [id, , , count] of rows) counts.set(id, count);
  return counts;
}

/** Remove consumers (other than `keep`) idle longer than `idleMs` with nothing pending. Returns their names. */
export async function removeIdleConsumers(
  client: RedisClient,
  stream: string,
  group: string,
  idleMs: number,
  keep: string,
): Promise<string[]> {
  const rows = (await client.xinfo("CONSUMERS", stream, group)) as unknown[][];
  const removed: string[] = [];
  for (const row of rows) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
    const name = String(info.get("name"));
    if (name === keep || Number(info.get("pending")) > 0 || Number(info.get("idle")) <= idleMs) continue;
    // Re-checked atomically in the script: the consumer may have received entries since XINFO.
    if (Number(await scripts.removeIdleConsumer.run(client, [stream], [group, name, idleMs])) === 1) {
      removed.push(name);
    }
  }
  return removed;
}

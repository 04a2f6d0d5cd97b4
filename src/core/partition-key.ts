/**
 * Which partition a message key belongs to, the same on every broker: the Redis transport picks a key's
 * stream with it and the RabbitMQ transport a key's partition queue, so both agree on where a key lives
 * (and a design's producer code can compute it too). FNV-1a (32 bit) of the UTF-8 key, modulo the count.
 */

/** Which partition `key` goes to of `partitions`; a message without a key takes `fallback` (round robin). */
export function partitionForKey(key: string | undefined, partitions: number, fallback = 0): number {
  if (partitions <= 1) return 0;
  if (key === undefined) return fallback % partitions;
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

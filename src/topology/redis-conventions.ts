/**
 * How a topic becomes Redis keys. Kept behind one interface so the expansion follows the Redis transport's
 * naming; {@link defaultRedisNaming} is the convention it uses.
 */
export interface RedisNaming {
  /** Stream key of partition `index` of `partitions` (partitions > 1 use a hash tag each, for Redis Cluster). */
  partitionStream(topic: string, index: number, partitions: number): string;
  /** Dead-letter stream of a stream. */
  deadLetterStream(stream: string): string;
  /** Sorted set holding a group's delayed retries of a stream. */
  delayedSet(stream: string, group: string): string;
}

/** `orders` → `orders`; partitioned: `{orders:0}`, `{orders:1}`, …; DLQ `<stream>:dlq`; delayed `<stream>:<group>:delayed`. */
export const defaultRedisNaming: RedisNaming = {
  partitionStream: (topic, index, partitions) => (partitions <= 1 ? topic : `{${topic}:${index}}`),
  deadLetterStream: (stream) => `${stream}:dlq`,
  delayedSet: (stream, group) => `${stream}:${group}:delayed`,
};

/** The transport of a scale-out process (src/bench/scale-out.ts): a partitioned topic on one broker or cluster. */
import type { Transport } from "../core/transport.js";
import { createAmqpTransport } from "../transports/amqp/mod.js";
import { createRedisTransport } from "../transports/redis/mod.js";

export interface ScaleTarget {
  /** Every URL of the broker (several: the nodes of a RabbitMQ cluster). */
  urls: string[];
  /** Redis Cluster (one URL, the client learns the rest). */
  redisCluster: boolean;
  topic: string;
  partitions: number;
  prefetch: number;
}

export function openScaleTransport(t: ScaleTarget): Transport {
  const first = t.urls[0]!;
  if (first.startsWith("amqp"))
    return createAmqpTransport({
      url: t.urls.length > 1 ? t.urls : first,
      queueType: "quorum",
      prefetch: t.prefetch,
      partitions: { [t.topic]: t.partitions },
    });
  return createRedisTransport({
    url: first,
    ...(t.redisCluster ? { cluster: true } : {}),
    topics: { [t.topic]: { partitions: t.partitions } },
  });
}

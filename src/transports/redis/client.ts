/**
 * The client type the Redis transport works with: one server (ioredis `Redis`) or a Redis Cluster (ioredis
 * `Cluster`, which routes each command by its key's slot and follows MOVED and ASK). Both speak the same
 * commands; the few things that differ on a cluster (a keyless command such as WAIT must reach the node
 * that took the write; a blocking read holds its node's connection) are decided here.
 */
import { Cluster, type Redis } from "ioredis";
import { clusterSlot } from "./cluster-slot.js";

/** A connection to one Redis server, or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** True when `client` talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The connection that carries commands for `key`: the client itself on one server; on a cluster, the
 * connection to the primary serving the key's slot now (by the client's slot map), or undefined when the
 * map has no live node for it yet (during a failover, before the first connection).
 */
export function connectionForKey(client: RedisClient, key: string): Redis | undefined {
  if (!isCluster(client)) return client;
  const nodeKey = client.slots[clusterSlot(key)]?.[0];
  if (nodeKey === undefined) return undefined;
  return client.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
}

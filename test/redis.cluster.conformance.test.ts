/**
 * The universal conformance suite against a private Redis Cluster (3 primaries, 3 replicas, started here):
 * every command path of the transport (publish, the Lua scripts, reads, acks, retries, dead letters,
 * reclaims) on a cluster. The reconnect cases are not registered: they cut the connection through a fault
 * proxy, and a cluster client connects to the addresses the cluster announces, not through a proxy (node
 * loss on a cluster is tested in redis.cluster.faults.test.ts).
 */
import { afterAll } from "vitest";
import { RedisClusterProcess } from "../src/brokers/local/redis-cluster.js";
import { describeTransportConformance } from "../src/testing/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { uniquePrefix } from "./redis-helpers.js";

// Started while the file loads: the suite asks a transport for its features when it registers its cases.
const cluster = await RedisClusterProcess.start();
afterAll(() => cluster.stop());
const nodes = cluster.seeds.map((s) => `redis://${s.host}:${s.port}`);
const keyPrefix = uniquePrefix();

describeTransportConformance({
  name: "redis cluster",
  create: () =>
    createRedisTransport({
      url: cluster.url,
      cluster: { nodes },
      keyPrefix,
      claimIdleMs: 1000,
      blockMs: 500,
    }),
  patienceMs: 10_000,
});

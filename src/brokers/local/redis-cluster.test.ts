import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster } from "ioredis";
import { randomUUID } from "node:crypto";
import { clusterSlot } from "../../transports/redis/layout.js";
import { RedisClusterProcess } from "./redis-cluster.js";

describe("RedisClusterProcess", () => {
  let cluster: RedisClusterProcess;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
    client = new Cluster(cluster.seeds, { redisOptions: { maxRetriesPerRequest: 20 } });
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it("computes the slot of keys and hash tags like the server", async () => {
    for (const key of ["a", "mqa:{orders}", "mqa:{orders#3}:lease:g", "{}x", "x{}{y}", "é{ü}"])
      expect(clusterSlot(key)).toBe(Number(await client.call("CLUSTER", "KEYSLOT", key)));
  });

  it("forms 3 primaries with a replica each", async () => {
    const nodes = await cluster.topology();
    const primaries = nodes.filter((n) => n.role === "primary");
    expect(primaries).toHaveLength(3);
    expect(
      nodes
        .filter((n) => n.role === "replica")
        .map((n) => n.primaryId)
        .sort(),
    ).toEqual(primaries.map((p) => p.id).sort());
  });

  it("moves a slot with its keys, and a replica takes over a killed primary", async () => {
    const key = `k:{${randomUUID()}}`;
    const slot = clusterSlot(key);
    await client.set(key, "v1");
    const before = await cluster.primaryFor(slot);
    const after = await cluster.moveSlot(slot);
    expect(after.port).not.toBe(before.port);
    expect((await cluster.primaryFor(slot)).port).toBe(after.port);
    expect(await client.get(key)).toBe("v1");
    await client.set(key, "v2");
    await client.call("WAIT", 1, 2000);
    const { killed, promoted } = await cluster.killPrimary(slot);
    expect(killed.port).toBe(after.port);
    expect(promoted.port).not.toBe(killed.port);
    expect(await client.get(key)).toBe("v2");
    await cluster.restart(killed);
    const back = (await cluster.topology()).find((n) => n.port === killed.port);
    expect(back?.role).toBe("replica");
  }, 60_000);
});

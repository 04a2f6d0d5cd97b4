/**
 * Designed topologies run: for representative designs, the transport starts with `topology: spec` (the
 * memory transport with the spec's names) and one message goes through the designed topic and group — on
 * the memory transport for each design, and once each on the real RabbitMQ and Redis, under unique names
 * removed afterwards. On Redis the setup script the report hands out creates the groups first.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Router, createMemoryTransport, type Transport } from "../src/index.js";
import { parseOptions } from "../src/core/options.js";
import { advise, type Design } from "../src/design/advise.js";
import { requirementsSchema, type RequirementsInput } from "../src/design/requirements.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { waitFor } from "../src/testing/mod.js";
import { AMQP_URL, deleteTopology } from "./support/amqp.js";
import { Redis } from "ioredis";
import { specToRedisModel } from "../src/topology/mod.js";
import { redisSetup } from "../src/design/setup.js";
import { deleteKeys, REDIS_URL } from "./redis-helpers.js";

const unique = (what: string): string => `design-${what}-${randomBytes(4).toString("hex")}`;
const design = (input: RequirementsInput): Design =>
  advise(parseOptions(requirementsSchema, input, "requirements"));

/** Where a message with `key` goes in design `d`: the designed topic and group; partitions route by the key. */
function route(d: Design, key: string): { topic: string; group: string; key: string } {
  return { topic: d.lanes[0]!.topic, group: d.requirements.groups[0]!, key };
}

/** Publish one message through the designed topic and wait until the designed group's handler has it. */
async function roundTrip(transport: Transport, d: Design): Promise<void> {
  const r = route(d, "account-42");
  const seen: unknown[] = [];
  const router = new Router(transport);
  router.handle({
    topic: r.topic,
    group: r.group,
    prefetch: d.sizing.prefetch,
    ...(d.requirements.ordering === "per-key" ? { order: "per-key" as const } : {}),
    handler: (payload) => {
      seen.push(payload);
    },
  });
  await router.start();
  try {
    await transport.publish(r.topic, {
      key: r.key,
      payload: new TextEncoder().encode(JSON.stringify({ hello: d.requirements.name })),
      contentType: "application/json",
    });
    await waitFor(() => seen.length === 1, 15_000, "the designed group's handler to get the message");
    expect(seen).toEqual([{ hello: d.requirements.name }]);
  } finally {
    await router.stop({ timeoutMs: 5_000 });
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("designed topologies run under the transports", () => {
  const representative: Record<string, RequirementsInput> = {
    quorum: { rate: 2000, durability: "strict", groups: ["billing", "shipping"] },
    partitioned: { rate: 5000, handlerTime: "50ms", ordering: "per-key", durability: "strict" },
    redisPerKey: {
      rate: 5000,
      handlerTime: "10ms",
      ordering: "per-key",
      latencyP99Ms: 5,
      durability: "best-effort",
    },
    claimCheck: { rate: 50, messageSize: "20MiB" },
    lanes: {
      rate: 3000,
      latencyClasses: [
        { name: "interactive", share: 0.2, latencyP99Ms: 50 },
        { name: "bulk", share: 0.8, latencyP99Ms: 5000 },
      ],
    },
  };

  for (const [what, input] of Object.entries(representative))
    it(`memory: ${what}`, async () => {
      const d = design({ ...input, name: unique(what) });
      const transport = createMemoryTransport({ broker: unique("memory") });
      cleanups.push(() => transport.close());
      await roundTrip(transport, d);
    });

  it("RabbitMQ: the per-key design's partition queues, declared from the spec", async () => {
    const d = design({ ...representative["partitioned"]!, name: unique("rabbit") });
    expect(d.choice).toBe("rabbitmq-quorum");
    const specTopics = d.topology.rabbitmq?.topics ?? [];
    expect(specTopics[0]!.partitions).toBe(d.lanes[0]!.sizing.partitions);
    // The partition queues <topic>.<group>.p<n> as "groups", so deleteTopology removes them too.
    const topics = specTopics.map((t) => ({
      topic: t.name,
      groups: t.groups.flatMap((g) => [
        g.name,
        ...Array.from({ length: t.partitions ?? 1 }, (_, k) => `${g.name}.p${k}`),
      ]),
    }));
    cleanups.push(() => deleteTopology(AMQP_URL, topics));
    const transport = createAmqpTransport({ url: AMQP_URL, topology: d.topology });
    cleanups.push(() => transport.close());
    await roundTrip(transport, d);
  });

  it("Redis: the setup script creates the groups, then the per-key design runs on them", async () => {
    const d = design({ ...representative["redisPerKey"]!, name: unique("redis") });
    expect(d.choice).toBe("redis-streams");
    // A prefix of this test's own, so everything it creates is removed afterwards.
    const prefix = unique("prefix");
    d.topology.redis!.keyPrefix = prefix;
    cleanups.push(() => deleteKeys(prefix));
    const script = redisSetup(d.topology, d.specFile, d.requirements.name, []).file!.content;
    await new Promise<void>((resolve, reject) => {
      const child = execFile("redis-cli", ["-u", REDIS_URL], (err) => (err ? reject(err) : resolve()));
      child.stdin?.end(script);
    });
    // Every stream the spec declares has its groups, as `mqa topology apply` would have made them.
    const redis = new Redis(REDIS_URL);
    try {
      const streams = specToRedisModel(d.topology).streams;
      expect(streams.filter((s) => s.role === "partition")).toHaveLength(d.lanes[0]!.sizing.partitions);
      for (const s of streams) {
        const groups = (await redis.call("XINFO", "GROUPS", s.key)) as unknown[][];
        expect(groups.map((g) => g[1]).sort()).toEqual(s.groups.map((g) => g.name).sort());
      }
    } finally {
      redis.disconnect();
    }
    const transport = createRedisTransport({ url: REDIS_URL, topology: d.topology });
    cleanups.push(() => transport.close());
    await roundTrip(transport, d);
  });
});

import { describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { parseRedisOptions } from "./options.js";
import { clientOptions } from "./connection.js";

describe("parseRedisOptions", () => {
  it("expands documented defaults", () => {
    const o = parseRedisOptions({});
    expect(o).toMatchObject({
      url: "redis://127.0.0.1:6379",
      keyPrefix: "mqa",
      maxInFlight: 1000,
      publishTimeoutMs: 10_000,
      claimIdleMs: 30_000,
      claimIntervalMs: 10_000,
      maxDeliveries: 20,
      blockMs: 1000,
    });
    expect(o.consumerNamePrefix).toContain(String(process.pid));
  });

  it("rejects unknown keys and bad values, naming every path", () => {
    let err: unknown;
    try {
      parseRedisOptions({ url: "http://x", claimIdelMs: 5, topics: { t: { partitions: 0 } } });
    } catch (e) {
      err = e;
    }
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    const paths = ((err as MqaError).details?.["issues"] as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["url", "topics.t.partitions"]));
    expect((err as Error).message).toContain("claimIdelMs");
  });

  it("maps TLS, ACL and backoff onto the client options", () => {
    const o = parseRedisOptions({
      url: "rediss://h:6380",
      username: "app",
      password: "pw",
      tls: { ca: "CA", cert: "C", key: "K" },
    });
    const c = clientOptions(o, "command");
    expect(c).toMatchObject({
      username: "app",
      password: "pw",
      tls: { ca: "CA", cert: "C", key: "K", rejectUnauthorized: true },
    });
    expect(c.maxRetriesPerRequest).toBeNull();
    const delay = c.retryStrategy?.(50) as number;
    expect(delay).toBeLessThanOrEqual(o.reconnect.maxMs + 10);
  });

  const issuesOf = (fn: () => unknown): { path: string; message: string }[] => {
    try {
      fn();
    } catch (err) {
      expect(MqaError.is(err, "invalid-options")).toBe(true);
      return (err as MqaError).details?.["issues"] as { path: string; message: string }[];
    }
    throw new Error("accepted");
  };

  it("takes a stream key, a field mapping and existing groups per topic", () => {
    const o = parseRedisOptions({
      topics: { orders: { key: "orders", fields: { payload: "data" }, groups: { b: { existing: true } } } },
    });
    expect(o.topics["orders"]).toEqual({
      partitions: 1,
      key: "orders",
      fields: { payload: "data" },
      groups: { b: { existing: true } },
    });
    expect(o.specTopics).toBeUndefined();
  });

  it("rejects a key with partitions, one key for two topics, and mappings that cannot work", () => {
    const issues = issuesOf(() =>
      parseRedisOptions({
        topics: {
          a: { key: "k", partitions: 2 },
          b: { fields: { payload: "x", id: "x" } },
          c: { fields: { payload: "m" } },
        },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      "topics.a.partitions",
      "topics.b.fields.id",
      "topics.c.fields.payload",
    ]);
    expect(issues[0]!.message).toMatch(/key "k".*partitions must be 1/);
    const dup = issuesOf(() => parseRedisOptions({ topics: { a: { key: "k" }, b: { key: "k" } } }));
    expect(dup).toEqual([{ path: "topics.b.key", message: 'already the key of topic "a"' }]);
  });

  it("takes topics, key prefix and the allow-list from a topology spec; explicit settings win", () => {
    const topology = {
      version: 1,
      redis: {
        keyPrefix: "shop",
        streams: [
          {
            name: "orders",
            key: "orders",
            fields: { payload: "data", id: "eventId" },
            retention: { maxAge: "1h" },
            groups: [{ name: "billing", existing: true }, { name: "audit" }],
          },
          { name: "jobs", partitions: 4, retention: { maxLength: 100 } },
        ],
      },
    };
    const o = parseRedisOptions({ topology, topics: { jobs: { trim: { maxLen: 5 } } } });
    expect(o.keyPrefix).toBe("shop");
    expect(o.topics["orders"]).toEqual({
      partitions: 1,
      key: "orders",
      fields: { payload: "data", id: "eventId" },
      trim: { maxAgeMs: 3_600_000 },
      groups: { billing: { existing: true }, audit: {} },
    });
    expect(o.topics["jobs"]).toMatchObject({ partitions: 4, trim: { maxLen: 5 } });
    expect([...o.specTopics!.entries()].map(([t, g]) => [t, [...g]])).toEqual([
      ["orders", ["billing", "audit"]],
      ["jobs", []],
    ]);
    expect(parseRedisOptions({ topology, keyPrefix: "own" }).keyPrefix).toBe("own");
    const extra = issuesOf(() =>
      parseRedisOptions({ topology, topics: { other: {}, orders: { groups: { nope: {} } } } }),
    );
    expect(extra.map((i) => i.path)).toEqual(["topics.other", "topics.orders.groups.nope"]);
  });

  it("rejects an invalid topology spec with its paths", () => {
    let err: unknown;
    try {
      parseRedisOptions({
        topology: { version: 1, redis: { streams: [{ name: "a", key: "k", partitions: 3 }] } },
      });
    } catch (e) {
      err = e;
    }
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    expect((err as Error).message).toContain("(RedisTransport options.topology)");
    expect((err as Error).message).toContain("redis.streams[0].partitions");
  });
});

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
});

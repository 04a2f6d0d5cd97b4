import { describe, expect, it } from "vitest";
import { MqaError } from "../core/errors.js";
import { BrokerApiError } from "./errors.js";
import { connectRedisAdmin } from "./redis-admin.js";

const REDIS_URL = process.env["MQA_REDIS_URL"] ?? "redis://127.0.0.1:6379";

describe("connectRedisAdmin", () => {
  it("runs raw commands and passes the server's refusals through", async () => {
    const redis = await connectRedisAdmin(REDIS_URL);
    try {
      expect(await redis.call("PING")).toBe("PONG");
      await expect(redis.call("NO-SUCH-COMMAND")).rejects.toThrow(/unknown command/i);
    } finally {
      await redis.close();
    }
  });

  it("fails fast on an unreachable server, with the URL masked", async () => {
    const err = (await connectRedisAdmin("redis://:Top-Secret-9@127.0.0.1:1", { timeoutMs: 2000 }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(BrokerApiError);
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect(err.message).toContain("127.0.0.1:1");
    expect(err.message).not.toContain("Top-Secret-9");
  });

  it("refuses a URL that is not redis:// or rediss://", async () => {
    const err = (await connectRedisAdmin("http://u:Top-Secret-9@127.0.0.1:6379").catch(
      (e: unknown) => e,
    )) as Error;
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    expect(err.message).not.toContain("Top-Secret-9");
  });
});

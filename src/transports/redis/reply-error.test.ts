import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, uniquePrefix } from "../../../test/redis-helpers.js";
import { isConfigurationError, isReplyError, replyErrorOf } from "./reply-error.js";

let r: Redis;
beforeAll(() => {
  r = new Redis(REDIS_URL);
});
afterAll(async () => {
  await r.quit();
});

/** The error the real server replies with to `command`. */
async function replyTo(...command: [string, ...(string | number)[]]): Promise<unknown> {
  return r.call(...command).then(
    () => {
      throw new Error(`${command[0]} was expected to fail`);
    },
    (err: unknown) => err,
  );
}

describe("Redis error replies, classified by their code", () => {
  it("reads the code of the server's own error replies", async () => {
    const missing = `${uniquePrefix()}:missing`;
    const noGroup = await replyTo("XREADGROUP", "GROUP", "g", "c", "STREAMS", missing, ">");
    expect(isReplyError(noGroup, "NOGROUP")).toBe(true);
    expect(isReplyError(await replyTo("EVALSHA", "0".repeat(40), 0), "NOSCRIPT")).toBe(true);
    expect(replyErrorOf(await replyTo("XINFO", "GROUPS", missing))).toMatchObject({
      code: "ERR",
      detail: expect.stringMatching(/^no such key/i) as unknown,
    });
  });

  it("never takes a message that only mentions a code for the reply itself", () => {
    expect(isReplyError(new Error("NOGROUP in the handler's own text"), "NOGROUP")).toBe(false);
    expect(isConfigurationError(new Error("WRONGPASS mentioned in a log line"))).toBe(false);
  });

  it("treats refused credentials and certificates as configuration errors, other failures not", async () => {
    // WRONGPASS from a server with ACL users; a plain ERR from an older one without a password.
    expect(isConfigurationError(await replyTo("AUTH", "mqa-no-such-user", "wrong-password"))).toBe(true);
    expect(isConfigurationError(await replyTo("AUTH", "wrong-password"))).toBe(true);
    const tls = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(isConfigurationError(tls)).toBe(true);
    expect(isConfigurationError(Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" }))).toBe(
      false,
    );
    expect(isConfigurationError(await replyTo("XINFO", "GROUPS", `${uniquePrefix()}:x`))).toBe(false);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisServerProcess } from "./redis-launcher.js";

describe("RedisServerProcess", () => {
  let server: RedisServerProcess | undefined;
  afterAll(() => server?.dispose());

  it("starts a private AOF server, keeps acknowledged writes across a crash, and restarts on the same port", async () => {
    server = await RedisServerProcess.start();
    const client = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await client.connect();
    expect(await client.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
    await client.set("k", "v");
    client.disconnect();
    await server.restart("SIGKILL");
    const again = new Redis(server.url);
    expect(await again.get("k")).toBe("v");
    again.disconnect();
  });
});

/** The shared fault suite against a private Redis (own port, AOF) started for this file. */
import { describeTransportFaults, RedisServerProcess } from "../src/testing/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { uniquePrefix } from "./redis-helpers.js";

describeTransportFaults({
  name: "redis",
  deliveryLimitReason: "max-deliveries",
  async start() {
    const server = await RedisServerProcess.start();
    const keyPrefix = uniquePrefix();
    return {
      port: server.port,
      create: (port, options) =>
        createRedisTransport({
          url: `redis://127.0.0.1:${port}`,
          keyPrefix,
          claimIdleMs: 500,
          blockMs: 200,
          reconnect: { baseMs: 50, maxMs: 500, multiplier: 2 },
          publishTimeoutMs: 60_000,
          ...(options?.deliveryLimit === undefined ? {} : { maxDeliveries: options.deliveryLimit }),
        }),
      restart: () => server.restart("SIGKILL"), // a crash: only what the AOF has survives
      stop: () => server.dispose(),
    };
  },
});

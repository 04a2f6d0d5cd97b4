/**
 * The universal conformance suite against the shared local Redis (reconnect cases through a fault proxy).
 * Every key of this run lives under its own prefix and is deleted afterwards. Short claim idle time so
 * "consumer lost → redelivered to another" is quick.
 */
import { afterAll } from "vitest";
import { describeTransportConformance } from "../src/testing/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis-helpers.js";

const keyPrefix = uniquePrefix();
const options = { keyPrefix, claimIdleMs: 1000, blockMs: 500 };

/** REDIS_URL with its host and port replaced by 127.0.0.1:`port` (a fault proxy's). */
const viaPort = (port: number): string => {
  const url = new URL(REDIS_URL);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
};

describeTransportConformance({
  name: "redis",
  create: () => createRedisTransport({ url: REDIS_URL, ...options }),
  patienceMs: 10_000,
  proxied: {
    brokerPort: Number(new URL(REDIS_URL).port || 6379),
    create: (port) =>
      createRedisTransport({
        url: viaPort(port),
        ...options,
        reconnect: { baseMs: 50, maxMs: 500, multiplier: 2 },
        publishTimeoutMs: 10_000,
      }),
  },
});
afterAll(() => deleteKeys(keyPrefix));

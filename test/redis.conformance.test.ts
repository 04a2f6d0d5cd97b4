import { afterAll } from "vitest";
import { describeTransportConformance } from "../src/testing/conformance.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis-helpers.js";

// Runs against the shared local Redis; every key of this run lives under its own prefix and is
// deleted afterwards. Short claim idle time so "consumer lost → redelivered to another" is quick.
const keyPrefix = uniquePrefix();
describeTransportConformance({
  name: "redis",
  create: () => createRedisTransport({ url: REDIS_URL, keyPrefix, claimIdleMs: 1000, blockMs: 500 }),
  patienceMs: 10_000,
});
afterAll(() => deleteKeys(keyPrefix));

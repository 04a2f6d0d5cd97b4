/** `mqa/redis`: the Redis Streams transport. */
export { RedisTransport, createRedisTransport } from "./transport.js";
export type { RedisTransportOptions, ResolvedRedisOptions, ResolvedRedisTopic } from "./options.js";
export { parseRedisOptions } from "./options.js";
export { RedisScriptError, ScriptFailure } from "./scripts.js";
export type { RedisTransportStats } from "./stats.js";
export type { ServerDurability } from "./durability.js";
export { inspectPartition, type PartitionHealth } from "./inspect.js";
/** The pure layout (naming, Lua, entry codec, id order) that features import; see ./layout.ts. */
export * from "./layout.js";

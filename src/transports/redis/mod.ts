/** `mqa/redis`: the Redis Streams transport. */
export { RedisTransport, createRedisTransport } from "./transport.js";
export type { RedisTransportOptions, ResolvedRedisOptions } from "./options.js";
export { parseRedisOptions } from "./options.js";
export {
  RedisKeyNames,
  DEFAULT_KEY_PREFIX,
  escapeName,
  unescapeName,
  partitionForKey,
  planDeclaration,
  type PartitionKeys,
  type TrimPolicy,
  type DeclarationStep,
  type DeclarationInput,
} from "./naming.js";
export { RedisScriptError, ScriptFailure } from "./scripts.js";
export type { RedisTransportStats } from "./stats.js";
export type { ServerDurability } from "./durability.js";
export { inspectPartition, type PartitionHealth } from "./inspect.js";

/** `mqa/redis`: the Redis Streams transport. */
export { RedisTransport, createRedisTransport } from "./transport.js";
export type { RedisTransportOptions, ResolvedRedisOptions, ResolvedRedisTopic } from "./options.js";
export { parseRedisOptions } from "./options.js";
export {
  RedisKeyNames,
  DEFAULT_KEY_PREFIX,
  escapeName,
  unescapeName,
  streamKeyTag,
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
export { WHOLE_ENTRY, type FieldMapping } from "./fields.js";
export { redisSettingsFromSpec, type RedisSpecSettings, type SpecTopicSettings } from "./spec-topics.js";
/** The pure layout (naming, Lua, entry codec, id order) that features import; see ./layout.ts. */
export * from "./layout.js";

/**
 * The Redis transport's pure layout, for features (topology, tail, audit, cleanup): key naming, trimming,
 * the group-declaring Lua, the entry codec and stream-id order. Loading this file never loads the Redis
 * client; it only re-exports the transport's own pure modules, so features and the transport cannot drift.
 */
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
export { declareGroupLua } from "./lua/declare-group.js";
export {
  WHOLE_ENTRY,
  decodeEntry,
  type DecodedEntry,
  type EntryFields,
  type FieldMapping,
  type RawEntry,
} from "./fields.js";
export { compareIds } from "./stream-id.js";
export {
  redisSettingsFromSpec,
  trimPolicyOf,
  type RedisSpecSettings,
  type SpecTopicSettings,
} from "./spec-topics.js";
export { CLUSTER_SLOTS, clusterSlot } from "./cluster-slot.js";

/**
 * Topology as code: the public face of `src/topology`.
 *
 * A spec (YAML or JSON, schema in `schema/mqa-topology.schema.json`) declares the RabbitMQ and Redis
 * resources an application expects. The steps are small and separate, as in Rascal: parse + validate →
 * expand patterns (topics, retry, dead letters) → compare with a broker → apply.
 *
 * For the auditor and other features, two pure functions give a spec's concrete resources:
 * - {@link specToDefinitions}`(spec)` → RabbitMQ definitions.json ({@link RabbitDefinitions}): every vhost,
 *   exchange, queue (with `x-queue-type`), binding, policy, user (password hash) and permission, patterns
 *   expanded exactly as the transport declares them. Same shape as `GET /api/definitions`, so rules written
 *   for definitions run on a spec too. Users with `passwordFromEnv` get a fresh salted hash; pass
 *   `{ requirePasswords: false }` (to `expandRabbit`) when the variables are not set.
 * - {@link specToRedisModel}`(spec)` → {@link RedisTopologyModel}: every stream key the transport creates (partition
 *   streams and per-group retry streams, key prefix included) with its groups and declared trimming, plus the
 *   keys created on first use (`lazyKeys`: dead-letter streams, delayed-retry sets, leases), with the transport's
 *   naming (src/transports/redis/layout.ts).
 */
export {
  loadSpecFile,
  parseSpecText,
  validateSpec,
  formatFromName,
  type SpecFormat,
  type SpecReadOptions,
} from "../spec/parse.js";
export { DEFAULT_MAX_SPEC_BYTES, MAX_SPEC_BYTES_ENV, maxSpecBytes } from "../spec/size-limit.js";
export { topologySpec, type TopologySpec, type RabbitSpec, type RedisSpec } from "../spec/schema/spec.js";
export { topologyJsonSchema, TOPOLOGY_SCHEMA_PATH } from "./json-schema.js";
export { InvalidSpecError, BrokerApiError, UnsafeChangeError, type SpecIssue } from "./errors.js";
export { specToDefinitions, expandRabbit, type ExpandOptions, type ExpandedRabbit } from "./expand-rabbit.js";
export {
  specToRedisModel,
  type RedisTopologyModel,
  type RedisStreamModel,
  type RedisGroupModel,
  type RedisLazyKey,
} from "./expand-redis.js";
export type * from "../brokers/rabbit-definitions.js";
/** @deprecated Renamed {@link RedisTopologyModel}; `RedisModel` is the audit's snapshot of a live Redis (`mqa/audit`). */
export type RedisModel = RedisTopologyModel;
export { queueType } from "../brokers/rabbit-definitions.js";
export {
  createRabbitConventions,
  defaultRabbitConventions,
  type RabbitConventions,
  type PatternInput,
  DLX_EXCHANGE,
} from "./rabbit-conventions.js";
export { retryDelaysMs } from "../spec/retry-schedule.js";
export { durationMs, formatDuration } from "../spec/duration.js";
export {
  planTopology,
  applyTopology,
  rollbackTopology,
  readRollbackFile,
  rollbackTarget,
  type ApplyOptions,
  type ApplyResult,
  type RollbackFile,
  type LiveOptions,
} from "./live.js";
export type { Plan, Change, ChangeAction, FieldChange } from "./plan-types.js";
export { publicPlan } from "./plan-types.js";
export {
  RabbitManagementApi,
  type ManagementApiOptions,
  type ApiResult,
  type UserBody,
  type QueueState,
} from "../brokers/management-api.js";
export type { AdminTlsOptions } from "../brokers/http.js";
export { redisScript } from "./export-redis.js";
export { definitionsToSpec, type ImportResult } from "./import-definitions.js";
export { specToFlowGraph, type FlowGraph } from "./diagram-graph.js";
export { toAscii, toMermaid, type DiagramFormat } from "./diagram.js";
export { brokerKindOf, type BrokerKind } from "./broker-url.js";

import type { RedisTopologyModel } from "./expand-redis.js";

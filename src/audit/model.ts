/**
 * The normalised model every audit source produces and every rule reads. Sources differ (a definitions file,
 * the management API, a live Redis, a topology spec); rules see one shape, so a rule is written once.
 * Secrets are kept out of the model where a rule does not need them; where one does (password hashes, to
 * detect password == username), the engine scrubs every output string against {@link AuditModel.secrets}.
 */

import type { QueueType } from "../brokers/rabbit-definitions.js";
import type { RedisStream } from "../brokers/redis-streams.js";

export type { QueueType };
/** Streams, groups and consumers as the live readers (src/brokers/redis-streams.ts) report them. */
export type { RedisConsumer, RedisGroup, RedisStream } from "../brokers/redis-streams.js";

/** A user as declared in definitions. `passwordHash` is only read by the weak-password rule, never printed. */
export interface RabbitUser {
  name: string;
  passwordHash: string;
  hashingAlgorithm: string;
  /**
   * Whether the export named the algorithm; when it did not, RabbitMQ's import picks one by the export's
   * version (MD5 before 3.6), and {@link RabbitUser.hashingAlgorithm} holds that choice.
   */
  hashingAlgorithmImplied?: boolean;
  /** A cleartext `password` field was in the file (its value is only kept in the secrets to scrub). */
  plaintextPassword?: "absent" | "same-as-name" | "present";
  tags: string[];
}

export interface RabbitPermission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** A runtime parameter (shovel, federation upstream, vhost limits, ...). URIs inside `value` are masked. */
export interface RabbitParameter {
  vhost: string;
  component: string;
  name: string;
  value: Record<string, unknown>;
  /** Every URI found in the value, masked, with whether it carried a password. */
  uris: { key: string; masked: string; hasPassword: boolean; scheme: string; host: string }[];
}

export type PolicyApplyTo = "all" | "queues" | "exchanges" | "classic_queues" | "quorum_queues" | "streams";

export interface RabbitPolicy {
  vhost: string;
  name: string;
  pattern: string;
  applyTo: PolicyApplyTo;
  priority: number;
  definition: Record<string, unknown>;
  /** True for operator policies (set by operators, merged with the user policy). */
  operator: boolean;
}

export interface RabbitQueue {
  vhost: string;
  name: string;
  type: QueueType;
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
}

export interface RabbitExchange {
  vhost: string;
  name: string;
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
}

export interface RabbitBinding {
  vhost: string;
  source: string;
  destination: string;
  destinationType: "queue" | "exchange";
  routingKey: string;
  arguments: Record<string, unknown>;
}

/**
 * The declarative half of a RabbitMQ broker, normalised for the rules: what `GET /api/definitions` returns
 * (the definitions.json shape is `RabbitDefinitions`, src/brokers/rabbit-definitions.ts), with camelCase names,
 * parsed tags and masked parameter URIs.
 */
export interface RabbitDeclarations {
  rabbitVersion: string | undefined;
  users: RabbitUser[];
  vhosts: string[];
  permissions: RabbitPermission[];
  parameters: RabbitParameter[];
  globalParameters: { name: string; value: unknown }[];
  policies: RabbitPolicy[];
  queues: RabbitQueue[];
  exchanges: RabbitExchange[];
  bindings: RabbitBinding[];
}

export interface RabbitNode {
  name: string;
  running: boolean;
  memAlarm: boolean;
  diskFreeAlarm: boolean;
  partitions: string[];
  diskFreeLimit: number | undefined;
  memLimit: number | undefined;
  fdUsed: number | undefined;
  fdTotal: number | undefined;
  procUsed: number | undefined;
  procTotal: number | undefined;
}

export interface RabbitLiveQueue {
  vhost: string;
  name: string;
  messages: number;
  messagesUnacked: number;
  consumers: number;
}

export interface RabbitConsumer {
  vhost: string;
  queue: string;
  consumerTag: string;
  channel: string;
  ackRequired: boolean;
  prefetchCount: number;
}

export interface RabbitChannel {
  name: string;
  vhost: string;
  user: string;
  confirm: boolean;
  /** Messages published on this channel so far (from message_stats), if the broker reports it. */
  published: number;
  publishRate: number;
  prefetchCount: number;
  globalPrefetchCount: number;
}

/** Facts only a running broker can tell. */
export interface RabbitLive {
  /** Management URL with the password masked. */
  url: string;
  /** The user the audit logged in as, and whether the host it reached is a loopback address. */
  loggedInAs: string;
  loopbackHost: boolean;
  rabbitmqVersion: string | undefined;
  releaseSeriesSupportStatus: string | undefined;
  nodes: RabbitNode[];
  queues: RabbitLiveQueue[];
  consumers: RabbitConsumer[];
  channels: RabbitChannel[];
  /** Deprecated features reported in use; `undefined` when the broker has no such API (before 3.13). */
  deprecatedFeaturesUsed: string[] | undefined;
}

export interface RabbitModel {
  definitions: RabbitDeclarations;
  live: RabbitLive | undefined;
}

/** One ACL user, summarised; password hashes are never kept. */
export interface RedisAclUser {
  name: string;
  enabled: boolean;
  nopass: boolean;
  allCommands: boolean;
  allKeys: boolean;
  /** Can run FLUSHALL, CONFIG, DEBUG, ... (+@all or +@dangerous without them removed). */
  dangerous: boolean;
}

export interface RedisModel {
  /** Target with the password masked. */
  url: string;
  /** Whether the connection used TLS. */
  tls: boolean;
  /** CONFIG GET values (secrets removed); `undefined` when not inspectable (see `configUnavailable`). */
  config: Record<string, string> | undefined;
  /** Why CONFIG could not be read (renamed, denied, or a spec source). */
  configUnavailable: string | undefined;
  info: Record<string, string>;
  /** ACL users; `undefined` when ACL LIST was denied or the source has no users. */
  aclUsers: RedisAclUser[] | undefined;
  streams: RedisStream[];
  /** True for a model built from a spec: server facts are unknown, not bad. */
  fromSpec: boolean;
  /** Facts only a redis.conf tells (set when the model was read from one). */
  file?: RedisConfigFileFacts;
}

/** One setting of a configuration file, in rabbitmq.conf or redis.conf terms, with where it was written. */
export interface ConfigSetting {
  key: string;
  value: string;
  file: string;
  line: number;
}

export type ConfigFileKind = "rabbitmq-conf" | "advanced-config" | "redis-conf";

/**
 * RabbitMQ node configuration read offline from rabbitmq.conf and/or advanced.config. advanced.config
 * settings are translated to their rabbitmq.conf keys (`{vm_memory_high_watermark, 0.95}` becomes
 * `vm_memory_high_watermark.relative`) and win over rabbitmq.conf, as on a node.
 */
export interface RabbitConfig {
  files: { file: string; kind: ConfigFileKind }[];
  settings: Map<string, ConfigSetting>;
}

/** What a redis.conf says beyond CONFIG GET values. */
export interface RedisConfigFileFacts {
  file: string;
  /** `bind` addresses, undefined when the file has no bind line (Redis then listens on every interface). */
  bind: string[] | undefined;
  /** `rename-command NAME new-name` lines; `disabled` when renamed to "" (the new name is never reported). */
  renamedCommands: { command: string; disabled: boolean; line: number }[];
  /** Directives that hold a secret (requirepass, masterauth, user ... >password), with their line. */
  secretDirectives: { name: string; line: number }[];
}

export type SourceKind =
  | "definitions-file"
  | "rabbitmq-live"
  | "redis-live"
  | "spec-file"
  | "config-file"
  | "directory"
  | "compose-file"
  | "helm-values";

/** What the audit looked at. */
export interface AuditSource {
  kind: SourceKind;
  /** File path or masked URL. */
  target: string;
}

export interface AuditModel {
  source: AuditSource;
  rabbit: RabbitModel | undefined;
  redis: RedisModel | undefined;
  /** Things a source could not read (permission denied, API absent): reported as findings. */
  inspectGaps: { what: string; reason: string }[];
  /** Every secret value seen while loading; scrubbed from every output string. */
  secrets: Set<string>;
  /** Lines of the audited file (file sources only), to point findings at a line. */
  sourceLines?: readonly string[];
  /** RabbitMQ configuration files (rabbitmq.conf, advanced.config), when the source is one. */
  rabbitConfig?: RabbitConfig;
  /** Where each `setting` location was written (config files), to point findings at file and line. */
  settingLines?: Map<string, { file: string; line: number }>;
}

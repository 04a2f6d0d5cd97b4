/**
 * The shape of RabbitMQ's definitions.json (what `rabbitmqctl export_definitions`, the management API's
 * `/api/definitions` and `rabbitmqctl import_definitions` speak). mqa uses it as its model of a broker, so the
 * spec, a file and a live broker compare in one shape. This is the one `RabbitDefinitions` type: topology
 * builds and compares it, the management client reads and writes it, the audit parses it into its model.
 * Argument and queue-type vocabulary is the RabbitMQ transport's own (a type-only import: nothing loads).
 */
import type { ArgumentValue, Arguments, QueueType } from "../transports/amqp/layout.js";

export type { ArgumentValue, Arguments, QueueType };

export interface UserDefinition {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  /** A list since 3.9; older brokers export a comma-separated string. */
  tags: string[] | string;
  limits?: Record<string, number>;
}

export interface VhostDefinition {
  name: string;
  description?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
}

export interface PermissionDefinition {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface PolicyDefinition {
  vhost: string;
  name: string;
  pattern: string;
  "apply-to": string;
  definition: Record<string, unknown>;
  priority: number;
}

export interface QueueDefinition {
  name: string;
  vhost: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: Arguments;
}

export interface ExchangeDefinition {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Arguments;
}

export interface BindingDefinition {
  source: string;
  vhost: string;
  destination: string;
  destination_type: "queue" | "exchange";
  routing_key: string;
  arguments: Arguments;
}

/** definitions.json. Lists mqa does not manage (parameters, topic permissions) are carried through untouched. */
export interface RabbitDefinitions {
  rabbit_version?: string;
  rabbitmq_version?: string;
  users: UserDefinition[];
  vhosts: VhostDefinition[];
  permissions: PermissionDefinition[];
  topic_permissions?: unknown[];
  parameters?: unknown[];
  global_parameters?: unknown[];
  policies: PolicyDefinition[];
  queues: QueueDefinition[];
  exchanges: ExchangeDefinition[];
  bindings: BindingDefinition[];
}

/** An empty definitions document. */
export function emptyDefinitions(): RabbitDefinitions {
  return { users: [], vhosts: [], permissions: [], policies: [], queues: [], exchanges: [], bindings: [] };
}

/** The queue type a queue declares; queues without `x-queue-type` are classic. */
export function queueType(queue: Pick<QueueDefinition, "arguments">): string {
  const t = queue.arguments["x-queue-type"];
  return typeof t === "string" ? t : "classic";
}

/**
 * How mqa's patterns (topic + group, retry, dead letter) become RabbitMQ resources. The default delegates to
 * the RabbitMQ transport's own pure plan (src/transports/amqp/topology-plan.ts), so a spec expands to exactly
 * what the transport declares; the interface lets tests or other transports plug in another convention.
 */
import {
  DEAD_LETTER_EXCHANGE,
  DEFAULT_MAX_DELAY_MS,
  planGroupTopology,
  type GroupResources,
  type TopologyPlan,
} from "../transports/amqp/layout.js";
import type {
  ArgumentValue,
  Arguments,
  BindingDefinition,
  ExchangeDefinition,
  QueueDefinition,
} from "../brokers/rabbit-definitions.js";

/** What a group of a topic (or a plain queue with patterns) asks for. */
export interface PatternInput {
  vhost: string;
  queueType: "quorum" | "classic" | "stream";
  /** Build the dead-letter queue. */
  deadLetter: boolean;
  /** Build the broker-side delay infrastructure for retries. */
  retry: boolean;
  /** Longest retry delay to support, ms. @defaultValue the transport's (24 h) */
  maxDelayMs?: number;
  /** Quorum queues' crash-loop guard. @defaultValue the transport's (20) */
  deliveryLimit?: number | "unlimited";
  /** Broker version, to adapt arguments as the transport does. @defaultValue newest */
  brokerVersion?: string;
}

/** Concrete resources, in definitions.json shape. */
export interface RabbitResources {
  exchanges: ExchangeDefinition[];
  queues: QueueDefinition[];
  bindings: BindingDefinition[];
}

export interface RabbitConventions {
  /**
   * Everything for group `group` of topic `topic`: topic exchange, group queue, bindings, DLQ, delay levels;
   * on the user's own resources when `resources` say so (what exists already is left out).
   */
  group(input: PatternInput & { topic: string; group: string; resources?: GroupResources }): RabbitResources;
  /** A plain queue with mqa's patterns: the extra resources, and the arguments the queue itself needs. */
  queue(input: PatternInput & { queue: string }): { queueArguments: Arguments; resources: RabbitResources };
}

export const DLX_EXCHANGE = DEAD_LETTER_EXCHANGE;

/** The transport's plan (no vhost) → definitions in `vhost`. */
export function planToResources(plan: TopologyPlan, vhost: string): RabbitResources {
  return {
    exchanges: plan.exchanges.map((e) => ({
      name: e.name,
      vhost,
      type: e.type,
      durable: e.durable,
      auto_delete: e.autoDelete,
      internal: e.internal,
      arguments: { ...e.arguments },
    })),
    queues: plan.queues.map((q) => ({
      name: q.name,
      vhost,
      durable: q.durable,
      auto_delete: q.autoDelete,
      arguments: { ...q.arguments },
    })),
    bindings: plan.bindings.map((b) => ({
      source: b.source,
      vhost,
      destination: b.destination,
      destination_type: b.destinationType,
      routing_key: b.routingKey,
      arguments: { ...b.arguments },
    })),
  };
}

function groupPlan(
  input: PatternInput & { topic: string; group: string; resources?: GroupResources },
): TopologyPlan {
  return planGroupTopology(
    { ...input.resources, topic: input.topic, group: input.group, deadLetter: input.deadLetter },
    {
      queueType: input.queueType,
      retry: input.retry,
      maxDelayMs: input.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
      ...(input.deliveryLimit === undefined ? {} : { deliveryLimit: input.deliveryLimit }),
      ...(input.brokerVersion === undefined ? {} : { brokerVersion: input.brokerVersion }),
    },
  );
}

// Placeholder names for expanding a plain queue through the group plan; replaced by the real name below.
const TOPIC = "mqa-topology-placeholder";
const GROUP = "queue";
const PLACEHOLDER = `${TOPIC}.${GROUP}`;

function rename(value: string, queue: string): string {
  return value === PLACEHOLDER
    ? queue
    : value.startsWith(`${PLACEHOLDER}.`)
      ? `${queue}${value.slice(PLACEHOLDER.length)}`
      : value.endsWith(`.${PLACEHOLDER}`)
        ? `${value.slice(0, -PLACEHOLDER.length)}${queue}`
        : value;
}

/** The transport's convention. */
export const defaultRabbitConventions: RabbitConventions = {
  group: (input) => planToResources(groupPlan(input), input.vhost),
  queue(input) {
    // A plain queue with patterns is wired exactly like a group queue, minus the topic exchange: the group
    // plan is computed for a placeholder name and renamed, so arguments stay the transport's.
    const r = planToResources(groupPlan({ ...input, topic: TOPIC, group: GROUP }), input.vhost);
    const own = r.queues.find((q) => q.name === PLACEHOLDER);
    const queueArguments: Record<string, ArgumentValue> = {};
    for (const [k, v] of Object.entries(own?.arguments ?? {}))
      queueArguments[k] = typeof v === "string" ? rename(v, input.queue) : v;
    return {
      queueArguments,
      resources: {
        exchanges: r.exchanges.filter((e) => e.name !== TOPIC),
        queues: r.queues
          .filter((q) => q.name !== PLACEHOLDER)
          .map((q) => ({ ...q, name: rename(q.name, input.queue) })),
        bindings: r.bindings
          .filter((b) => b.source !== TOPIC)
          .map((b) => ({
            ...b,
            destination: rename(b.destination, input.queue),
            routing_key: rename(b.routing_key, input.queue),
          })),
      },
    };
  },
};

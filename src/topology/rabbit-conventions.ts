/**
 * How mqa's patterns (topic + group, retry, dead letter) become RabbitMQ resources. The default delegates to
 * the RabbitMQ transport's own pure plan (src/transports/amqp/topology-plan.ts), so a spec expands to exactly
 * what the transport declares; the interface lets tests or other transports plug in another convention.
 */
import {
  DEAD_LETTER_EXCHANGE,
  DEFAULT_MAX_DELAY_MS,
  groupQueueName,
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
import { stableJson } from "../brokers/stable-json.js";

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

const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

/**
 * What `retry` adds to a group of these settings, for a group on queue {@link PLACEHOLDER}: the shared delay
 * levels (the same objects for every group, so the expansion recognises them without hashing) and the
 * group's own binding from `mqa.delay.deliver`. Found by planning the placeholder group with and without
 * retry, so it is the transport's plan by construction; `undefined` when retry changes more than it adds
 * (then each group is planned whole).
 */
function retryExtras(input: PatternInput): RabbitResources | undefined {
  const base = { ...input, topic: TOPIC, group: GROUP };
  const withRetry = planToResources(groupPlan({ ...base, retry: true }), input.vhost);
  const without = planToResources(groupPlan({ ...base, retry: false }), input.vhost);
  const extra = <T>(all: T[], some: T[]): T[] | undefined => {
    const rest = all.slice(0, some.length);
    return same(rest, some) ? all.slice(some.length) : undefined;
  };
  const exchanges = extra(withRetry.exchanges, without.exchanges);
  const queues = extra(withRetry.queues, without.queues);
  const bindings = extra(withRetry.bindings, without.bindings);
  if (!exchanges || !queues || !bindings) return undefined;
  // Only the deliver binding may name the group's queue; anything else is not shared, so no shortcut.
  const named = (x: string): boolean => x.includes(PLACEHOLDER);
  if (exchanges.some((e) => named(e.name)) || queues.some((q) => named(q.name))) return undefined;
  if (bindings.some((b) => named(b.source) || (named(b.routing_key) && b.destination !== PLACEHOLDER)))
    return undefined;
  return { exchanges, queues, bindings };
}

/**
 * The plan of each group, with the retry part planned once per setting and renamed per group: groups differ
 * in names only, and a spec of 10,000 topics would otherwise plan (and the expansion deduplicate) the 80-odd
 * delay-level resources 10,000 times. The returned function holds its cache: use one per expansion (the
 * shared resources it returns are the same objects each time, which is what lets the expansion skip them
 * without hashing, and what makes sharing the cache across expansions unsafe).
 */
function cachingGroupResources(): RabbitConventions["group"] {
  const cache = new Map<string, RabbitResources | undefined>();
  const extrasFor = (input: PatternInput): RabbitResources | undefined => {
    const settings: PatternInput = {
      vhost: input.vhost,
      queueType: input.queueType,
      deadLetter: input.deadLetter,
      retry: true,
      ...(input.maxDelayMs === undefined ? {} : { maxDelayMs: input.maxDelayMs }),
      ...(input.deliveryLimit === undefined ? {} : { deliveryLimit: input.deliveryLimit }),
      ...(input.brokerVersion === undefined ? {} : { brokerVersion: input.brokerVersion }),
    };
    const k = stableJson(settings);
    if (!cache.has(k)) cache.set(k, retryExtras(settings));
    return cache.get(k);
  };
  return (input) => {
    // A partitioned group's retry binding names each partition queue: planned whole (src/transports/amqp).
    const partitioned = (input.resources?.partitions ?? 1) > 1;
    if (input.retry && partitioned) return planToResources(groupPlan(input), input.vhost);
    const extras = input.retry ? extrasFor(input) : undefined;
    if (input.retry && extras === undefined) return planToResources(groupPlan(input), input.vhost);
    const own = planToResources(groupPlan({ ...input, retry: false }), input.vhost);
    if (extras === undefined) return own;
    const queue = input.resources?.queue ?? groupQueueName(input.topic, input.group);
    const renamed = (b: BindingDefinition): BindingDefinition =>
      b.destination === PLACEHOLDER
        ? { ...b, destination: queue, routing_key: rename(b.routing_key, queue) }
        : b;
    return {
      exchanges: [...own.exchanges, ...extras.exchanges],
      queues: [...own.queues, ...extras.queues],
      bindings: [...own.bindings, ...extras.bindings.map(renamed)],
    };
  };
}

/** The transport's convention: each group planned whole by the transport's plan (the reference). */
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

/**
 * The transport's convention, faster for large specs: the same resources as {@link defaultRabbitConventions},
 * with the retry part planned once per setting (see {@link cachingGroupResources}). Use one per expansion.
 */
export function createRabbitConventions(): RabbitConventions {
  return { group: cachingGroupResources(), queue: defaultRabbitConventions.queue };
}

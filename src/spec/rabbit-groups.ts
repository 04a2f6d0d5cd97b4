/**
 * The groups of a spec's RabbitMQ topics, resolved to the resources they live on: which exchange (and of
 * which type) a topic publishes to, which queue a group consumes, how it is bound, and whether mqa declares
 * each or only checks it. Pure: `mqa topology` expands a spec through this, and the RabbitMQ transport takes
 * its declarations from it, so both build the same resources.
 */
import { durationMs } from "./duration.js";
import { retryDelaysMs, type RetrySpec } from "./retry-schedule.js";
import type { RabbitSpec, TopologySpec } from "./schema/spec.js";

export type RabbitExchangeType = "direct" | "topic" | "fanout" | "headers";
export type ArgumentScalar = string | number | boolean;

/** One binding of a group's queue: a routing key, plus binding arguments (a headers match). */
export interface ResolvedBinding {
  readonly routingKey: string;
  readonly arguments: Readonly<Record<string, ArgumentScalar>>;
}

/** A group of a spec topic with every default filled in. */
export interface ResolvedRabbitGroup {
  readonly vhost: string;
  readonly topic: string;
  readonly group: string;
  /** Where `topics[i].groups[j]` is in the spec, for messages. */
  readonly path: string;
  readonly exchange: string;
  readonly exchangeType: RabbitExchangeType;
  /** False for an existing exchange, one of `rabbitmq.exchanges` (the spec's own entry declares it), `""` and `amq.*`. */
  readonly declareExchange: boolean;
  readonly queue: string;
  /** False when the group attaches to a queue that exists already or is one of `rabbitmq.queues`. */
  readonly declareQueue: boolean;
  /** The spec's own entry for an attached queue, when it has one: what the queue is. */
  readonly describedQueue?: {
    readonly type: "quorum" | "classic" | "stream";
    readonly arguments: Readonly<Record<string, ArgumentScalar>>;
  };
  /** Bindings as written; `undefined` means the default for the exchange type. */
  readonly bindings: readonly ResolvedBinding[] | undefined;
  readonly queueType: "quorum" | "classic" | "stream";
  readonly arguments: Readonly<Record<string, ArgumentScalar>>;
  readonly deliveryLimit?: number | "unlimited";
  readonly deadLetter: boolean;
  readonly retry: boolean;
  readonly retryPolicy?: RetrySpec;
  /** Partition queues of the group (`<queue>.p<n>`), from its topic's `partitions`; 1 means the queue itself. */
  readonly partitions: number;
}

const DEFAULT_VHOST = "/";

/** Exchanges RabbitMQ declares itself (`""`, `amq.*`): used as they are, never declared. */
export function isBrokerExchangeName(name: string): boolean {
  return name === "" || name.startsWith("amq.");
}

function scalars(record: Record<string, unknown> | undefined): Record<string, ArgumentScalar> {
  const out: [string, ArgumentScalar][] = [];
  for (const [k, v] of Object.entries(record ?? {}))
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out.push([k, v]);
  return Object.fromEntries(out);
}

/** A spec binding entry → routing key and arguments (`x-match` plus the header values). */
export function resolveBinding(
  b: string | { routingKey?: string; headers?: Record<string, ArgumentScalar>; match?: "all" | "any" },
): ResolvedBinding {
  if (typeof b === "string") return { routingKey: b, arguments: {} };
  const args: Record<string, ArgumentScalar> =
    b.headers === undefined ? {} : { "x-match": b.match ?? "all", ...b.headers };
  return { routingKey: b.routingKey ?? "", arguments: args };
}

/** Every group of the spec's RabbitMQ topics, resolved, in spec order. */
export function rabbitGroups(spec: TopologySpec | RabbitSpec | undefined): ResolvedRabbitGroup[] {
  const r = spec && "version" in spec ? spec.rabbitmq : (spec as RabbitSpec | undefined);
  if (!r) return [];
  const key = (vhost: string, name: string): string => `${vhost}\u0000${name}`;
  const exchanges = new Map((r.exchanges ?? []).map((e) => [key(e.vhost ?? DEFAULT_VHOST, e.name), e]));
  const queues = new Map((r.queues ?? []).map((q) => [key(q.vhost ?? DEFAULT_VHOST, q.name), q]));
  const out: ResolvedRabbitGroup[] = [];
  (r.topics ?? []).forEach((t, i) => {
    const vhost = t.vhost ?? DEFAULT_VHOST;
    const exchange = t.exchange ?? t.name;
    const declared = exchanges.get(key(vhost, exchange));
    const declaredType = declared?.type as RabbitExchangeType | undefined;
    const exchangeType: RabbitExchangeType =
      t.exchangeType ?? declaredType ?? (exchange === "" ? "direct" : "topic");
    const declareExchange = !(t.existing ?? false) && !declared && !isBrokerExchangeName(exchange);
    t.groups.forEach((g, j) => {
      const queue = g.queue ?? `${t.name}.${g.name}`;
      const described = queues.get(key(vhost, queue));
      const declareQueue = !(g.existing ?? false) && !described;
      out.push({
        vhost,
        topic: t.name,
        group: g.name,
        path: `rabbitmq.topics[${i}].groups[${j}]`,
        exchange,
        exchangeType,
        declareExchange,
        queue,
        declareQueue,
        ...(described
          ? {
              describedQueue: {
                type: described.type ?? "quorum",
                arguments: scalars(described.arguments),
              },
            }
          : {}),
        bindings: g.bindings?.map(resolveBinding),
        queueType: g.queueType ?? "quorum",
        arguments: scalars(g.arguments),
        ...(g.deliveryLimit === undefined ? {} : { deliveryLimit: g.deliveryLimit }),
        deadLetter: g.deadLetter ?? true,
        retry: g.retry !== false,
        ...(g.retry ? { retryPolicy: g.retry } : {}),
        partitions: t.partitions ?? 1,
      });
    });
  });
  return out;
}

/** Default longest retry delay: 24 hours (the RabbitMQ transport's). */
export const DEFAULT_RABBIT_MAX_DELAY_MS = 86_400_000;

/**
 * Longest retry delay the shared delay levels must hold for this spec: `maxRetryDelay` (24 h when absent),
 * raised to the longest delay any retry policy in it uses. The transport and the expansion both size the
 * levels with this, so they declare the same ones.
 */
export function rabbitMaxRetryDelayMs(spec: TopologySpec | RabbitSpec | undefined): number {
  const r = spec && "version" in spec ? spec.rabbitmq : (spec as RabbitSpec | undefined);
  if (!r) return DEFAULT_RABBIT_MAX_DELAY_MS;
  const retries = [
    ...(r.topics ?? []).flatMap((t) => t.groups.map((g) => g.retry)),
    ...(r.queues ?? []).map((q) => q.retry),
  ];
  const longest = Math.max(0, ...retries.flatMap((x) => (x ? retryDelaysMs(x) : [])));
  return Math.max(
    r.maxRetryDelay === undefined ? DEFAULT_RABBIT_MAX_DELAY_MS : durationMs(r.maxRetryDelay),
    longest,
  );
}

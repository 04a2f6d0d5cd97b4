/**
 * A spec topic's `history` resolved to the stream queue that keeps it: `<topic>.history`, of
 * `x-queue-type: stream` with `x-max-age` (and `x-max-length-bytes`), bound to the topic's exchange so it
 * takes every message the topic's groups can take. Pure, like rabbit-groups.ts: `mqa topology` expands the
 * spec through this, the RabbitMQ transport declares it with the topic's groups, and `mqa replay` reads it,
 * so all three agree on the name and the arguments.
 */
import { durationMs } from "./duration.js";
import { rabbitGroups, type ResolvedBinding, type RabbitExchangeType } from "./rabbit-groups.js";
import type { RabbitSpec, TopologySpec } from "./schema/spec.js";

/** A topic's history stream with every default filled in. */
export interface ResolvedRabbitHistory {
  readonly vhost: string;
  readonly topic: string;
  /** Where `topics[i].history` is in the spec, for messages. */
  readonly path: string;
  readonly exchange: string;
  readonly exchangeType: RabbitExchangeType;
  /** False when the exchange is someone else's (or RabbitMQ's own): it is only checked. */
  readonly declareExchange: boolean;
  /** `<topic>.history`. */
  readonly queue: string;
  /** `x-queue-type: stream`, `x-max-age`, and `x-max-length-bytes` when a size is given. */
  readonly arguments: Readonly<Record<string, string | number>>;
  /** Bindings to the exchange: everything it routes to the topic's groups. */
  readonly bindings: readonly ResolvedBinding[];
}

/** Name of a topic's history stream queue. */
export function historyQueueName(topic: string): string {
  return `${topic}.history`;
}

/**
 * RabbitMQ's `x-max-age` text for a duration in ms: the largest unit that divides it (`7D`, `12h`, `90s`).
 * Returns undefined for less than a second or a part of a second, which RabbitMQ cannot express.
 */
export function streamMaxAge(ms: number): string | undefined {
  if (!Number.isInteger(ms) || ms < 1000 || ms % 1000 !== 0) return undefined;
  for (const [unit, size] of [
    ["D", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms / 1000}s`;
}

/**
 * Bindings that take every message of the exchange that a group could get: `#` on a topic exchange, `""`
 * on fanout, an empty header match on headers (matches everything), and on a direct exchange the routing
 * keys the topic's groups are bound with.
 */
function historyBindings(type: RabbitExchangeType, groupKeys: readonly string[]): ResolvedBinding[] {
  if (type === "topic") return [{ routingKey: "#", arguments: {} }];
  if (type === "fanout") return [{ routingKey: "", arguments: {} }];
  if (type === "headers") return [{ routingKey: "", arguments: { "x-match": "all" } }];
  return [...new Set(groupKeys)].map((routingKey) => ({ routingKey, arguments: {} }));
}

/** Every topic of the spec that keeps a history, resolved, in spec order. */
export function rabbitHistories(spec: TopologySpec | RabbitSpec | undefined): ResolvedRabbitHistory[] {
  const r = spec && "version" in spec ? spec.rabbitmq : (spec as RabbitSpec | undefined);
  if (!r) return [];
  const groups = rabbitGroups(r);
  const out: ResolvedRabbitHistory[] = [];
  (r.topics ?? []).forEach((t, i) => {
    if (!t.history) return;
    const vhost = t.vhost ?? "/";
    const own = groups.filter((g) => g.topic === t.name && g.vhost === vhost);
    // The exchange as the groups resolve it; a topic without groups resolves the same way.
    const exchange = own[0]?.exchange ?? t.exchange ?? t.name;
    const declared = (r.exchanges ?? []).find((e) => (e.vhost ?? "/") === vhost && e.name === exchange);
    const exchangeType: RabbitExchangeType =
      own[0]?.exchangeType ??
      t.exchangeType ??
      (declared?.type as RabbitExchangeType | undefined) ??
      (exchange === "" ? "direct" : "topic");
    const declareExchange =
      own[0]?.declareExchange ??
      (!(t.existing ?? false) && !declared && exchange !== "" && !exchange.startsWith("amq."));
    const maxAge = streamMaxAge(durationMs(t.history.maxAge));
    const args: Record<string, string | number> = { "x-queue-type": "stream" };
    if (maxAge !== undefined) args["x-max-age"] = maxAge;
    if (t.history.maxBytes !== undefined) args["x-max-length-bytes"] = t.history.maxBytes;
    const groupKeys = own.flatMap((g) => (g.bindings ?? []).map((b) => b.routingKey));
    out.push({
      vhost,
      topic: t.name,
      path: `rabbitmq.topics[${i}].history`,
      exchange,
      exchangeType,
      declareExchange,
      queue: historyQueueName(t.name),
      arguments: args,
      bindings: historyBindings(exchangeType, groupKeys),
    });
  });
  return out;
}

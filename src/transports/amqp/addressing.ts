/**
 * Where a topic and a group live on RabbitMQ. Without a topology spec: mqa's convention (exchange `T`, queue
 * `T.G`). With one (the `topology` option, the file `mqa topology` applies), the spec is the source of truth:
 * a topic publishes to the exchange the spec names, a group consumes the queue the spec names with the
 * bindings, type and arguments it gives, and a name the spec does not know is refused with the names it does.
 */
import { InvalidOptionsError } from "../../core/errors.js";
import { rabbitGroups, rabbitMaxRetryDelayMs, type ResolvedRabbitGroup } from "../../spec/rabbit-groups.js";
import { rabbitHistories, type ResolvedRabbitHistory } from "../../spec/rabbit-history.js";
import type { TopologySpec } from "../../spec/schema/spec.js";
import type { QueueChoice } from "./options.js";
import { partitionForKey } from "../../core/partition-key.js";
import {
  groupQueueName,
  isBrokerExchange,
  partitionQueueName,
  partitionRoutingKey,
} from "./topology-plan.js";

/** How one group is laid out on the broker, and what is off when it attaches to someone else's queue. */
export interface GroupLayout {
  readonly topic: string;
  readonly group: string;
  readonly exchange: string;
  readonly queue: string;
  /** The queue exists already and mqa only consumes it (never declares it or changes its arguments). */
  readonly attached: boolean;
  /** mqa's dead-letter queue for the group (`<queue>.dlq`), or undefined without one. */
  readonly deadLetterQueue: string | undefined;
  /** Plain statements of what the broker itself will not do for an attached queue; empty otherwise. */
  readonly caveats: readonly string[];
  /** The spec's group, when a spec was given. */
  readonly spec: ResolvedRabbitGroup | undefined;
  /** The queues consumed: `[queue]`, or the partition queues `<queue>.p<n>` of a partitioned topic. */
  readonly queues: readonly string[];
}

/** Topic and group names → RabbitMQ resources, from a spec or by convention. */
export class AmqpAddressing {
  private readonly groups = new Map<string, ResolvedRabbitGroup>();
  private readonly topicExchanges = new Map<string, string>();
  private readonly exchanges = new Set<string>();
  private readonly histories = new Map<string, ResolvedRabbitHistory>();
  private readonly topicPartitions = new Map<string, number>();
  /** Next partition of a message without a key (round robin). */
  private roundRobin = 0;

  constructor(
    readonly spec: TopologySpec | undefined,
    /** The vhost the connection uses: only the spec's resources in it apply. */
    readonly vhost: string,
    /** The queue of a group the spec does not name (the transport's `queueFor` option). */
    private readonly queueFor?: (topic: string, group: string) => QueueChoice,
    /** Queue type of the queues mqa declares for `queueFor` groups (the transport's `queueType`). */
    private readonly queueType: "quorum" | "classic" | "stream" = "quorum",
    /** Partitions of topics the spec does not describe (the transport's `partitions` option). */
    private readonly partitionOption: Readonly<Record<string, number>> = {},
  ) {
    if (spec && Object.keys(partitionOption).length > 0)
      throw new InvalidOptionsError(
        "the partitions option applies without a topology spec only: set partitions on the spec's rabbitmq.topics",
        { details: { partitions: partitionOption } },
      );
    for (const g of rabbitGroups(spec)) {
      if (g.vhost !== vhost) continue;
      this.groups.set(key(g.topic, g.group), g);
      this.topicExchanges.set(g.topic, g.exchange);
    }
    for (const t of spec?.rabbitmq?.topics ?? [])
      if ((t.vhost ?? "/") === vhost) {
        this.topicExchanges.set(t.name, t.exchange ?? t.name);
        if ((t.partitions ?? 1) > 1) this.topicPartitions.set(t.name, t.partitions ?? 1);
      }
    for (const e of spec?.rabbitmq?.exchanges ?? [])
      if ((e.vhost ?? "/") === vhost) this.exchanges.add(e.name);
    for (const h of rabbitHistories(spec)) if (h.vhost === vhost) this.histories.set(h.topic, h);
  }

  /** The history stream the spec keeps for `topic` (declared with its groups), or undefined. */
  historyOf(topic: string): ResolvedRabbitHistory | undefined {
    return this.histories.get(topic);
  }

  /** Longest retry delay the spec's delay levels hold (undefined without a spec). */
  get maxRetryDelayMs(): number | undefined {
    return this.spec ? rabbitMaxRetryDelayMs(this.spec) : undefined;
  }

  /** How many partitions `topic` has (1: not partitioned). */
  partitionsOf(topic: string): number {
    return this.spec ? (this.topicPartitions.get(topic) ?? 1) : (this.partitionOption[topic] ?? 1);
  }

  /**
   * The routing key of a publish to `topic`: the message key, or on a partitioned topic `p<n>.<key>` with
   * n = FNV-1a(key) mod partitions (the Redis transport's hash), round robin for a message without a key.
   */
  routingKeyFor(topic: string, key: string | undefined): string {
    const n = this.partitionsOf(topic);
    if (n <= 1) return key ?? "";
    return partitionRoutingKey(partitionForKey(key, n, key === undefined ? this.roundRobin++ : 0), key);
  }

  /** The exchange a publish to `topic` goes to. */
  exchangeFor(topic: string): string {
    if (!this.spec) return topic;
    const exchange = this.topicExchanges.get(topic);
    if (exchange !== undefined) return exchange;
    // An exchange the spec declares (or RabbitMQ's own) can be published to by its name.
    if (this.exchanges.has(topic) || isBrokerExchange(topic)) return topic;
    throw new InvalidOptionsError(
      `topic '${topic}' is not in the topology spec (vhost '${this.vhost}'): add it to rabbitmq.topics, ` +
        `or publish to one of: ${list([...this.topicExchanges.keys(), ...this.exchanges])}`,
      { details: { topic } },
    );
  }

  /**
   * The spec's group (or the `queueFor` option's queue, as if a spec named it), or undefined by convention;
   * throws when a spec is given and does not know it.
   */
  specGroup(topic: string, group: string): ResolvedRabbitGroup | undefined {
    if (!this.spec) return this.queueFor ? this.custom(topic, group) : undefined;
    const g = this.groups.get(key(topic, group));
    if (g) return g;
    const known = [...this.groups.values()].filter((x) => x.topic === topic).map((x) => x.group);
    throw new InvalidOptionsError(
      known.length > 0
        ? `group '${group}' of topic '${topic}' is not in the topology spec; its groups are: ${list(known)}`
        : `topic '${topic}' has no groups in the topology spec (vhost '${this.vhost}'); add it to rabbitmq.topics with its groups`,
      { details: { topic, group } },
    );
  }

  private custom(topic: string, group: string): ResolvedRabbitGroup {
    const q = this.queueFor!(topic, group);
    if (typeof q?.name !== "string" || q.name === "")
      throw new InvalidOptionsError(
        `queueFor('${topic}', '${group}') must return { name: string, existing?: boolean }, got ${JSON.stringify(q)}`,
      );
    const existing = q.existing ?? false;
    return {
      vhost: this.vhost,
      topic,
      group,
      path: `queueFor(${topic}, ${group})`,
      exchange: topic,
      exchangeType: "topic",
      declareExchange: !isBrokerExchange(topic),
      queue: q.name,
      declareQueue: !existing,
      // Publishes to the topic reach the queue through exchange `T` in both cases; an attached queue keeps
      // whatever bindings its owner made besides (a binding only adds a route).
      bindings: existing ? [{ routingKey: "#", arguments: {} }] : undefined,
      queueType: this.queueType,
      arguments: {},
      deadLetter: q.deadLetter ?? true,
      retry: q.retry ?? true,
      partitions: this.partitionsOf(topic),
    };
  }

  /** The layout of a group. */
  layout(topic: string, group: string, deadLetter: boolean): GroupLayout {
    const g = this.specGroup(topic, group);
    const queue = g?.queue ?? groupQueueName(topic, group);
    const partitions = g?.partitions ?? this.partitionsOf(topic);
    // As the plan builds it: a stream queue mqa declares gets no dead-letter queue.
    const streamOfOurs = (g ? g.queueType : this.queueType) === "stream" && (g?.declareQueue ?? true);
    const dlq = (g?.deadLetter ?? deadLetter) && !streamOfOurs ? `${queue}.dlq` : undefined;
    return {
      topic,
      group,
      exchange: g?.exchange ?? topic,
      queue,
      attached: g ? !g.declareQueue : false,
      deadLetterQueue: dlq,
      caveats: g && !g.declareQueue ? attachCaveats(g) : [],
      spec: g,
      queues:
        partitions > 1 ? Array.from({ length: partitions }, (_, p) => partitionQueueName(queue, p)) : [queue],
    };
  }
}

function key(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}

function list(names: readonly string[]): string {
  return names.length === 0 ? "(none)" : names.map((n) => `'${n}'`).join(", ");
}

/**
 * What an attached queue does not get, said plainly: mqa's retries and dead letters still work (they are
 * copies it publishes), but what the broker does on its own follows the queue's own arguments.
 */
export function attachCaveats(g: ResolvedRabbitGroup): string[] {
  const out: string[] = [];
  const d = g.describedQueue;
  if (!d) {
    out.push(
      `queue '${g.queue}' is attached as it is: mqa cannot read its arguments over AMQP, so what the broker does on its own ` +
        "(expiry, overflow, a delivery limit, its own dead-letter exchange) is the queue's business; " +
        "describe it in rabbitmq.queues or run `mqa audit` on the broker to see it",
    );
    return out;
  }
  const dlx = d.arguments["x-dead-letter-exchange"];
  if (d.type !== "quorum")
    out.push(
      `queue '${g.queue}' is a ${d.type} queue: it has no delivery limit, so a message that crashes its consumer ` +
        "process is redelivered again and again (the broker only flags it as redelivered, so mqa counts every crash " +
        "as one attempt); handler errors are still retried and dead-lettered by mqa's middleware",
    );
  if (dlx === undefined && d.type !== "stream") {
    const drops: string[] = [];
    if (d.arguments["x-message-ttl"] !== undefined) drops.push("expire (x-message-ttl)");
    const overflow = d.arguments["x-overflow"];
    // reject-publish refuses new messages (publishers see it); drop-head and reject-publish-dlx drop them.
    if (
      (d.arguments["x-max-length"] !== undefined || d.arguments["x-max-length-bytes"] !== undefined) &&
      overflow !== "reject-publish"
    )
      drops.push(
        `overflow (x-max-length, ${overflow === "reject-publish-dlx" ? "reject-publish-dlx" : "drop-head"})`,
      );
    const what = drops;
    out.push(
      `queue '${g.queue}' has no x-dead-letter-exchange: messages the broker itself drops` +
        (what.length > 0 ? ` (those that ${what.join(" or ")})` : "") +
        ` are gone; mqa's own dead letters go to ` +
        (g.deadLetter
          ? `'${g.queue}.dlq' through mqa.dlx`
          : "nowhere (deadLetter: false): they are dropped too") +
        " (policies on the broker may change this: `mqa audit` shows them)",
    );
  }
  return out;
}

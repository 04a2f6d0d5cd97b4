/**
 * The exact RabbitMQ topology mqa builds for a group, as data. Pure and I/O-free: the transport
 * declares from this plan, and topology-as-code expands specs with it, so both always agree.
 *
 * Naming for topic `T` and group `G`, the zero-config default:
 * - exchange `T` (topic, durable); queue `T.G` bound to it with `#`;
 * - exchange `mqa.dlx` (direct, durable); queue `T.G.dlq` bound to it with key `T.G`;
 * - delay infrastructure shared by every group (see {@link planDelayTopology}).
 *
 * A group can also live on resources of the user's own ({@link GroupResources}): another exchange of any
 * type, another queue name, bindings with routing-key patterns or header matches, and an exchange or
 * queue that exists already and is only checked (`passive`), never declared with other arguments.
 */
import { InvalidOptionsError } from "../../core/errors.js";
import { compareVersions, parseVersion } from "./server-version.js";
import { isBrokerExchangeName } from "../../spec/rabbit-groups.js";

/** Queue types mqa declares. */
export type QueueType = "quorum" | "classic" | "stream";
export type ExchangeType = "direct" | "topic" | "fanout" | "headers";
/** Queue and exchange argument values (AMQP table values mqa uses). */
export type ArgumentValue = string | number | boolean;
export type Arguments = Readonly<Record<string, ArgumentValue>>;

export interface ExchangePlan {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: true;
  readonly autoDelete: false;
  readonly internal: boolean;
  readonly arguments: Arguments;
  /** Why mqa declares it, for diagrams and audits. */
  readonly purpose: string;
}

export interface QueuePlan {
  readonly name: string;
  readonly type: QueueType;
  readonly durable: true;
  readonly autoDelete: false;
  readonly exclusive: false;
  /** Every argument, including `x-queue-type`. */
  readonly arguments: Arguments;
  readonly purpose: string;
}

export interface BindingPlan {
  readonly source: string;
  readonly destination: string;
  readonly destinationType: "queue" | "exchange";
  readonly routingKey: string;
  readonly arguments: Arguments;
}

/** Everything to declare, in an order that is safe to apply (exchanges, queues, bindings). */
export interface TopologyPlan {
  readonly exchanges: readonly ExchangePlan[];
  readonly queues: readonly QueuePlan[];
  readonly bindings: readonly BindingPlan[];
  /** Resources that must exist already: checked passively before anything is declared, never declared. */
  readonly passive?: { readonly exchanges: readonly string[]; readonly queues: readonly string[] };
}

/** One binding of a group's queue to its topic's exchange. */
export interface GroupBinding {
  /** Routing key or pattern (`order.created`, `order.*`, `#`). @defaultValue "" */
  readonly routingKey?: string;
  /** Binding arguments: on a headers exchange, the header values to match plus `x-match`. */
  readonly arguments?: Arguments;
}

/**
 * Where a group lives on the broker, when not at mqa's default names. Every field is optional; the
 * defaults are the zero-config convention above.
 */
export interface GroupResources {
  /** Exchange the topic's messages are published to. `""` is the default exchange. @defaultValue the topic name */
  readonly exchange?: string;
  /** @defaultValue "topic" */
  readonly exchangeType?: ExchangeType;
  /** Declare the exchange (false: it must exist; checked, never declared). @defaultValue true, false for `amq.*` and `""` */
  readonly declareExchange?: boolean;
  /** The queue the group consumes. @defaultValue `<topic>.<group>` */
  readonly queue?: string;
  /**
   * Declare the queue with mqa's arguments (false: *attach* to an existing queue: checked passively, never
   * redeclared, its own arguments kept). @defaultValue true
   */
  readonly declareQueue?: boolean;
  /**
   * Bindings of the queue to the exchange. @defaultValue `#` on a topic exchange, `""` on a fanout one; none
   * for an attached queue (its owner bound it); required on direct and headers exchanges.
   */
  readonly bindings?: readonly GroupBinding[];
  /** Extra queue arguments; they win over mqa's (ignored for an attached queue). */
  readonly arguments?: Arguments;
  /**
   * Partition queues (see {@link planPartitionedGroup}): more than 1 gives the group queues `<queue>.p<n>`
   * instead of `<queue>`. @defaultValue 1
   */
  readonly partitions?: number;
}

/** Name of the dead-letter exchange shared by every group. */
export const DEAD_LETTER_EXCHANGE = "mqa.dlx";
/** Exchange the last delay level dead-letters into; routes to the origin queue. */
export const DELAY_DELIVER_EXCHANGE = "mqa.delay.deliver";
/**
 * Number of binary delay levels. Level k holds a message for 2^k ms, so 28 levels cover any delay up
 * to 2^28 − 1 ms (about 74.5 hours). Fixed, because the routing-key format depends on it and every
 * service sharing a broker must agree on it.
 */
export const DELAY_LEVELS = 28;
/** Largest delay the binary scheme can express, in ms. */
export const MAX_DELAY_MS = 2 ** DELAY_LEVELS - 1;
/** Delivery limit used when none is given: RabbitMQ 4.x's own default, stated explicitly on 3.x too. */
export const DEFAULT_DELIVERY_LIMIT = 20;

/** Queue `T.G`. */
export function groupQueueName(topic: string, group: string): string {
  return `${topic}.${group}`;
}

/** Queue `T.G.dlq`, or `<queue>.dlq` for a group on a queue of another name. */
export function deadLetterQueueName(topic: string, group?: string): string {
  return `${group === undefined ? topic : groupQueueName(topic, group)}.dlq`;
}

/** Exchanges RabbitMQ declares itself (`""`, `amq.*`); they are used as they are, never declared. */
export const isBrokerExchange = isBrokerExchangeName;

/** Exchange (and queue) of delay level `k`: `mqa.delay.l07`. */
export function delayLevelName(level: number): string {
  return `mqa.delay.l${String(level).padStart(2, "0")}`;
}

/** How many levels are needed so delays up to `maxDelayMs` can be expressed. */
export function delayLevelsFor(maxDelayMs: number): number {
  if (maxDelayMs < 1) return 0;
  return Math.min(DELAY_LEVELS, Math.floor(Math.log2(maxDelayMs)) + 1);
}

/**
 * Where to publish a message that must wait `delayMs` before reaching `destinationQueue`.
 * The routing key spells the delay in binary, most significant level first, followed by the queue
 * name; each level's exchange routes on its own bit. Entering at the highest set bit skips empty
 * levels. Returns `undefined` for `delayMs <= 0` (publish straight to the queue instead).
 */
export function delayRoute(
  delayMs: number,
  destinationQueue: string,
): { exchange: string; routingKey: string } | undefined {
  const ms = Math.ceil(delayMs);
  if (!(ms > 0)) return undefined;
  if (ms > MAX_DELAY_MS)
    throw new InvalidOptionsError(
      `retry delay ${ms} ms exceeds the maximum of ${MAX_DELAY_MS} ms (about 74 hours)`,
    );
  const bits: string[] = [];
  for (let level = DELAY_LEVELS - 1; level >= 0; level--)
    bits.push(Math.floor(ms / 2 ** level) % 2 ? "1" : "0");
  const top = Math.floor(Math.log2(ms));
  return { exchange: delayLevelName(top), routingKey: `${bits.join(".")}.${destinationQueue}` };
}

/** `count` topic-pattern words matching exactly one word each. */
function stars(count: number): string {
  return Array.from({ length: count }, () => "*").join(".");
}

function prefix(count: number): string {
  return count === 0 ? "" : `${stars(count)}.`;
}

/** What the broker can do, derived from its version. */
export interface BrokerCapabilities {
  /** `x-dead-letter-strategy: at-least-once` on quorum queues (3.10+). */
  readonly atLeastOnceDeadLettering: boolean;
  /** Message TTL on quorum queues (3.10+); without it delay levels are classic queues. */
  readonly quorumMessageTtl: boolean;
  /** RabbitMQ 4.x: quorum queues have a default delivery limit and `-1` disables it. */
  readonly deliveryLimitDefaulted: boolean;
}

/** Capabilities of a broker version string such as `3.10.8` or `4.1.0`; unknown means the newest. */
export function capabilitiesOf(version: string | undefined): BrokerCapabilities {
  const v = version === undefined ? undefined : parseVersion(version);
  const atLeast = (min: string): boolean => v === undefined || compareVersions(v, parseVersion(min)!) >= 0;
  return {
    atLeastOnceDeadLettering: atLeast("3.10.0"),
    quorumMessageTtl: atLeast("3.10.0"),
    deliveryLimitDefaulted: atLeast("4.0.0"),
  };
}

/** Options shaping a group's topology. */
export interface GroupPlanOptions {
  /** @defaultValue "quorum" */
  queueType?: QueueType;
  /** Build `T.G.dlq` and wire `T.G` to it. Streams cannot dead-letter, so it is ignored for them. @defaultValue true */
  deadLetter?: boolean;
  /**
   * Deliveries (crashes, requeues) after which a quorum queue dead-letters a message: the poison
   * crash-loop guard. `"unlimited"` turns it off. Quorum queues only. @defaultValue 20
   */
  deliveryLimit?: number | "unlimited";
  /** Build the delay infrastructure and bind `T.G` to it, for `retry({ delayMs })`. @defaultValue true */
  retry?: boolean;
  /** Longest retry delay to support, ms; decides how many delay levels exist. @defaultValue 86_400_000 (24 h) */
  maxDelayMs?: number;
  /** Broker version (`3.10.8`), to adapt arguments. Unknown means a current 4.x broker. */
  brokerVersion?: string;
  /**
   * Replicas of the group's quorum queue and its DLQ (`x-quorum-initial-group-size`). @defaultValue undefined
   * (RabbitMQ decides)
   */
  quorumReplicas?: number;
}

/** Options shaping the shared delay infrastructure. */
export interface DelayPlanOptions {
  /** @defaultValue 86_400_000 (24 h) */
  maxDelayMs?: number;
  brokerVersion?: string;
}

/** Default longest retry delay: 24 hours. */
export const DEFAULT_MAX_DELAY_MS = 86_400_000;

/**
 * The shared delay levels: for each level k an exchange and a queue `mqa.delay.lKK` with TTL 2^k ms.
 * The queue takes messages whose bit k is 1 and, when the TTL expires, dead-letters them to the next
 * lower level's exchange; messages whose bit k is 0 skip straight to that exchange. Level 0 hands over
 * to `mqa.delay.deliver`, which routes on the queue name at the end of the key. A message therefore
 * waits exactly the sum of its set bits (never less), plus a few ms per hop.
 */
export function planDelayTopology(options: DelayPlanOptions = {}): TopologyPlan {
  const caps = capabilitiesOf(options.brokerVersion);
  const levels = delayLevelsFor(options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  const exchanges: ExchangePlan[] = [
    exchange(DELAY_DELIVER_EXCHANGE, "topic", "delay: hands expired delayed messages back to their queue"),
  ];
  const queues: QueuePlan[] = [];
  const bindings: BindingPlan[] = [];
  const quorum = caps.quorumMessageTtl;
  for (let k = 0; k < levels; k++) {
    const name = delayLevelName(k);
    const next = k === 0 ? DELAY_DELIVER_EXCHANGE : delayLevelName(k - 1);
    const position = DELAY_LEVELS - 1 - k;
    exchanges.push(exchange(name, "topic", `delay level ${k}: routes on bit ${k} of the delay`));
    const args: Record<string, ArgumentValue> = {
      "x-queue-type": quorum ? "quorum" : "classic",
      "x-message-ttl": 2 ** k,
      "x-dead-letter-exchange": next,
    };
    if (quorum && caps.atLeastOnceDeadLettering) {
      args["x-dead-letter-strategy"] = "at-least-once";
      args["x-overflow"] = "reject-publish";
    }
    queues.push(
      queue(name, quorum ? "quorum" : "classic", args, `delay level ${k}: holds messages 2^${k} ms`),
    );
    bindings.push(bind(name, name, "queue", `${prefix(position)}1.#`));
    bindings.push(bind(name, next, "exchange", `${prefix(position)}0.#`));
  }
  return { exchanges, queues, bindings };
}

/**
 * Everything the transport declares for one group: the topic exchange, the group queue and, as
 * options say, its dead-letter queue and the delay infrastructure.
 */
export function planGroupTopology(
  declaration: { topic: string; group: string; deadLetter?: boolean } & GroupResources,
  options: GroupPlanOptions = {},
): TopologyPlan {
  if ((declaration.partitions ?? 1) > 1) return planPartitionedGroup(declaration, options);
  return planGroupQueue(declaration, options, undefined);
}

/** Queue of partition `p` of a group whose unpartitioned queue would be `queue`: `<queue>.p<p>`. */
export function partitionQueueName(queue: string, partition: number): string {
  return `${queue}.p${partition}`;
}

/** Routing key of a message with `key` on partition `p` of a partitioned topic: `p<p>.<key>` (`p<p>` without a key). */
export function partitionRoutingKey(partition: number, key: string | undefined): string {
  return key === undefined || key === "" ? `p${partition}` : `p${partition}.${key}`;
}

/**
 * A partitioned group: N quorum queues `<queue>.p<n>` with `x-single-active-consumer` (one consumer of the
 * group handles a partition at a time, the others stand by and take over when it leaves), bound to the
 * topic exchange with `p<n>.#`, so a message published with `p<n>.<key>` reaches exactly partition n of every
 * group. Retries go back to the partition queue the message came from; dead letters of every partition go to
 * the one `<queue>.dlq`. Only a topic exchange can route so, and only mqa's own queues can be partitioned.
 */
export function planPartitionedGroup(
  declaration: { topic: string; group: string; deadLetter?: boolean } & GroupResources,
  options: GroupPlanOptions,
): TopologyPlan {
  const { topic, group } = declaration;
  const n = declaration.partitions ?? 1;
  const exchangeName = declaration.exchange ?? topic;
  const type = declaration.exchangeType ?? (exchangeName === "" ? "direct" : "topic");
  const where = `group '${group}' of topic '${topic}' (partitions: ${n})`;
  const refuse = (why: string): never => {
    throw new InvalidOptionsError(`${where}: ${why}`, { details: { topic, group, partitions: n } });
  };
  if (!Number.isInteger(n) || n > 1024) refuse("partitions must be a whole number from 1 to 1024");
  if (exchangeName === "" || type !== "topic")
    refuse(
      `partitions need a topic exchange (routing keys p<n>.<key>), not ${exchangeName === "" ? "the default exchange" : `a ${type} exchange`}`,
    );
  if (declaration.declareQueue === false)
    refuse("an existing queue cannot be partitioned; mqa declares partition queues itself");
  if (declaration.bindings !== undefined)
    refuse("partition queues are bound by mqa (p<n>.#); remove the group's bindings");
  if ((options.queueType ?? "quorum") === "stream")
    refuse("stream queues cannot be partitioned this way (no single active consumer with acks)");
  const base = declaration.queue ?? groupQueueName(topic, group);
  const dlq = deadLetterQueueName(base);
  const plans: TopologyPlan[] = [];
  for (let p = 0; p < n; p++)
    plans.push(
      planGroupQueue(
        {
          ...declaration,
          partitions: undefined,
          queue: partitionQueueName(base, p),
          bindings: [{ routingKey: `p${p}.#` }],
          arguments: { "x-single-active-consumer": true, ...declaration.arguments },
        },
        options,
        dlq,
      ),
    );
  return mergePlans(...plans);
}

/** One queue of a group (the group's own, or one of its partitions) with what surrounds it. */
function planGroupQueue(
  declaration: { topic: string; group: string; deadLetter?: boolean } & GroupResources,
  options: GroupPlanOptions,
  /** The dead-letter queue, when not `<queue>.dlq` (partitions share their group's). */
  sharedDeadLetterQueue: string | undefined,
): TopologyPlan {
  const { topic, group } = declaration;
  const exchangeName = declaration.exchange ?? topic;
  if (declaration.exchange === undefined) assertName("topic", topic);
  else if (exchangeName !== "") assertResourceName("exchange", exchangeName);
  if (declaration.queue === undefined) assertName("group", group);
  else assertResourceName("queue", declaration.queue);
  const caps = capabilitiesOf(options.brokerVersion);
  const declareQueue = declaration.declareQueue ?? true;
  const declareExchange = (declaration.declareExchange ?? true) && !isBrokerExchange(exchangeName);
  const exchangeType = declaration.exchangeType ?? (exchangeName === "" ? "direct" : "topic");
  // An attached queue's type is its owner's business; mqa's own parts around it assume nothing of it.
  const queueType = declareQueue ? (options.queueType ?? "quorum") : "classic";
  const deadLetter =
    (declaration.deadLetter ?? options.deadLetter ?? true) && (queueType !== "stream" || !declareQueue);
  const retry = options.retry ?? true;
  const qName = declaration.queue ?? groupQueueName(topic, group);

  const exchanges: ExchangePlan[] = declareExchange
    ? [exchange(exchangeName, exchangeType, `topic ${topic}`)]
    : [];
  const queues: QueuePlan[] = [];
  const groupBindings =
    declaration.bindings ?? defaultBindings(exchangeName, exchangeType, declareQueue, qName);
  const bindings: BindingPlan[] =
    exchangeName === ""
      ? [] // the default exchange binds every queue by its name, implicitly
      : groupBindings.map((b) => ({
          source: exchangeName,
          destination: qName,
          destinationType: "queue" as const,
          routingKey: b.routingKey ?? "",
          arguments: { ...b.arguments },
        }));
  const passive = {
    exchanges: declareExchange || exchangeName === "" ? [] : [exchangeName],
    queues: declareQueue ? [] : [qName],
  };

  const args: Record<string, ArgumentValue> = { "x-queue-type": queueType };
  if (deadLetter) {
    args["x-dead-letter-exchange"] = DEAD_LETTER_EXCHANGE;
    args["x-dead-letter-routing-key"] = qName;
    if (queueType === "quorum" && caps.atLeastOnceDeadLettering) {
      args["x-dead-letter-strategy"] = "at-least-once";
      args["x-overflow"] = "reject-publish";
    }
  }
  if (queueType === "quorum") {
    const limit = options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
    if (limit !== "unlimited") args["x-delivery-limit"] = limit;
    else if (caps.deliveryLimitDefaulted) args["x-delivery-limit"] = -1;
  }
  const replicas: Record<string, ArgumentValue> =
    options.quorumReplicas === undefined ? {} : { "x-quorum-initial-group-size": options.quorumReplicas };
  if (queueType === "quorum") Object.assign(args, replicas);
  if (declareQueue)
    queues.push(
      queue(qName, queueType, { ...args, ...declaration.arguments }, `group ${group} of topic ${topic}`),
    );

  if (deadLetter) {
    const dlq = sharedDeadLetterQueue ?? deadLetterQueueName(qName);
    exchanges.push(exchange(DEAD_LETTER_EXCHANGE, "direct", "dead letters of every group, keyed by queue"));
    queues.push(queue(dlq, "quorum", { "x-queue-type": "quorum", ...replicas }, `dead letters of ${qName}`));
    bindings.push(bind(DEAD_LETTER_EXCHANGE, dlq, "queue", qName));
  }
  if (retry) {
    const delay = planDelayTopology({ maxDelayMs: options.maxDelayMs, brokerVersion: options.brokerVersion });
    exchanges.push(...delay.exchanges);
    queues.push(...delay.queues);
    bindings.push(...delay.bindings);
    bindings.push(bind(DELAY_DELIVER_EXCHANGE, qName, "queue", `${prefix(DELAY_LEVELS)}${qName}`));
  }
  return passive.exchanges.length + passive.queues.length > 0
    ? { exchanges, queues, bindings, passive }
    : { exchanges, queues, bindings };
}

/** Bindings of a group that names none: everything on topic and fanout exchanges. */
function defaultBindings(
  exchangeName: string,
  type: ExchangeType,
  declareQueue: boolean,
  queueName: string,
): GroupBinding[] {
  if (!declareQueue || exchangeName === "") return [];
  if (type === "topic") return [{ routingKey: "#" }];
  if (type === "fanout") return [{ routingKey: "" }];
  throw new InvalidOptionsError(
    `queue '${queueName}' on ${type} exchange '${exchangeName}' needs bindings: the routing keys (direct) or ` +
      `header matches (headers) it takes; mqa cannot guess them`,
    { details: { exchange: exchangeName, queue: queueName } },
  );
}

/** Union of plans without duplicates (first occurrence wins), keeping the safe order. */
export function mergePlans(...plans: readonly TopologyPlan[]): TopologyPlan {
  const exchanges = new Map<string, ExchangePlan>();
  const queues = new Map<string, QueuePlan>();
  const bindings = new Map<string, BindingPlan>();
  const passiveExchanges = new Set<string>();
  const passiveQueues = new Set<string>();
  for (const p of plans) {
    p.passive?.exchanges.forEach((e) => passiveExchanges.add(e));
    p.passive?.queues.forEach((q) => passiveQueues.add(q));
    for (const e of p.exchanges) if (!exchanges.has(e.name)) exchanges.set(e.name, e);
    for (const q of p.queues) if (!queues.has(q.name)) queues.set(q.name, q);
    for (const b of p.bindings) {
      const key = `${b.source}\u0000${b.destinationType}\u0000${b.destination}\u0000${b.routingKey}\u0000${stableArgs(b.arguments)}`;
      if (!bindings.has(key)) bindings.set(key, b);
    }
  }
  const merged = {
    exchanges: [...exchanges.values()],
    queues: [...queues.values()],
    bindings: [...bindings.values()],
  };
  return passiveExchanges.size + passiveQueues.size > 0
    ? { ...merged, passive: { exchanges: [...passiveExchanges], queues: [...passiveQueues] } }
    : merged;
}

function stableArgs(args: Arguments): string {
  return JSON.stringify(Object.entries(args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Names of the user's own resources: RabbitMQ's limit (255 bytes as a short string) and no `amq.` queues. */
function assertResourceName(what: "exchange" | "queue", name: string): void {
  const problem =
    name.length === 0
      ? "is empty"
      : Buffer.byteLength(name) > 255
        ? `is ${Buffer.byteLength(name)} bytes, over RabbitMQ's limit of 255 (UTF-8)`
        : what === "queue" && name.startsWith("amq.")
          ? "starts with the reserved prefix 'amq.'"
          : undefined;
  if (problem)
    throw new InvalidOptionsError(`${what} name '${name}' ${problem}`, { details: { [what]: name } });
}

/**
 * Topic and group names become exchange/queue names and topic-pattern words, so `*` and `#` words
 * would turn into wildcards, and the `amq.` prefix is reserved by RabbitMQ.
 */
function assertName(what: string, name: string): void {
  const problem =
    name.length === 0
      ? "is empty"
      : name.length > 200
        ? "is longer than 200 characters"
        : name.startsWith("amq.")
          ? "starts with the reserved prefix 'amq.'"
          : name.split(".").some((w) => w === "*" || w === "#" || w === "")
            ? "contains an empty, '*' or '#' dot-separated word"
            : undefined;
  if (problem)
    throw new InvalidOptionsError(
      `${what} name '${name}' ${problem}; use letters, digits, '-', '_', ':' and '.'`,
      {
        details: { [what]: name },
      },
    );
}

function exchange(name: string, type: ExchangeType, purpose: string): ExchangePlan {
  return { name, type, durable: true, autoDelete: false, internal: false, arguments: {}, purpose };
}

function queue(name: string, type: QueueType, args: Arguments, purpose: string): QueuePlan {
  return { name, type, durable: true, autoDelete: false, exclusive: false, arguments: args, purpose };
}

function bind(
  source: string,
  destination: string,
  destinationType: "queue" | "exchange",
  routingKey: string,
): BindingPlan {
  return { source, destination, destinationType, routingKey, arguments: {} };
}

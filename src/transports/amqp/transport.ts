/**
 * The RabbitMQ transport: a publish connection with a {@link ConfirmPublisher}, a consume connection
 * with one {@link AmqpSubscription} per subscribe, and the topology from {@link planGroupTopology}.
 * After every reconnect of the consume connection, declarations are made again and every subscription
 * resumes, before the connection counts as ready.
 */
import { maskUrl } from "../../core/redact.js";
import type { Logger } from "pino";
import { ClosedError, MqaError, summarizeError } from "../../core/errors.js";
import type { OutgoingMessage } from "../../core/message.js";
import { silentLogger } from "../../log/logger.js";
import type {
  ConnectionState,
  DeadLetter,
  DeliveryHandler,
  GroupDeclaration,
  PublishOptions,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportFeatures,
} from "../../core/transport.js";
import { ConnectionStateCell } from "../connection-state.js";
import { drainWithin } from "../drain.js";
import { InFlight } from "../in-flight.js";
import { validateSpec } from "../../spec/parse.js";
import { AmqpAddressing, type GroupLayout } from "./addressing.js";
import { groupResourcesOf } from "./spec-groups.js";
import { ConfirmPublisher } from "./confirm-publisher.js";
import { ConnectionManager, type LiveConnection } from "./connection-manager.js";
import { declarePlan } from "./declare.js";
import { FirstConnectionGate } from "./first-connection.js";
import { assertPlanNames } from "./name-limits.js";
import { readDeadLetters } from "./dead-letters.js";
import {
  appendAmqpDeadLetter,
  countAmqpDeadLetters,
  walkAmqpDeadLetters,
  type AmqpDeadLetterContext,
} from "./dead-letter-queues.js";
import type {
  DeadLetterCount,
  DeadLetterQueues,
  DeadLetterVisitor,
  DeadLetterWalkOptions,
  DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import { toPublishProperties } from "./message-mapping.js";
import { type AmqpTransportOptions, type ResolvedAmqpOptions, resolveAmqpOptions } from "./options.js";
import { AmqpSubscription } from "./subscription.js";
import { PartitionBalancer } from "./partition-balancer.js";
import { PartitionedSubscription } from "./partitioned-subscription.js";
import { partitionForKey } from "../../core/partition-key.js";
import { planHistoryTopology } from "./history-plan.js";
import { type TopologyPlan, mergePlans, planGroupTopology } from "./topology-plan.js";
import { unsettledPolicyFor } from "./unsettled.js";

const FEATURES: TransportFeatures = {
  consumerGroups: true,
  brokerSideDelay: true,
  ordering: "per-topic",
  persistence: "disk",
  redeliversOnConsumerLoss: true,
  unroutable: "reject",
  crossProcess: true,
};

/** RabbitMQ transport implementing the core {@link Transport} contract. */
export class AmqpTransport implements Transport, DeadLetterQueues {
  readonly name = "amqp";
  readonly features = FEATURES;
  private readonly options: ResolvedAmqpOptions;
  private readonly log: Logger;
  private readonly publishConnection: ConnectionManager;
  private readonly consumeConnection: ConnectionManager;
  private readonly publisher: ConfirmPublisher;
  private readonly declarations = new Map<string, GroupDeclaration>();
  private readonly addressing: AmqpAddressing;
  /** Attached queues whose caveats were logged already (once per queue). */
  private readonly warnedAttached = new Set<string>();
  private readonly subscriptions = new Set<AmqpSubscription>();
  /** The transport's state, combined from both connections (see {@link deriveState}). */
  private readonly cell: ConnectionStateCell;
  private connecting: Promise<void> | undefined;
  private shuttingDown = false;
  /** The graceful close under way or done (every caller of close() waits for it). */
  private closeRun: Promise<void> | undefined;
  /** Publishes called and not settled yet: a graceful close lets them finish. */
  private readonly unsettledPublishes = new InFlight();
  /** connect() has succeeded once: publishes skip awaiting it. */
  private connectedOnce = false;
  /** Publishes waiting for the first connection, bounded in count and time. */
  private readonly firstConnection: FirstConnectionGate;

  constructor(options?: AmqpTransportOptions) {
    this.options = resolveAmqpOptions(options);
    this.log = (this.options.logger ?? silentLogger()).child({ transport: "amqp" });
    this.cell = new ConnectionStateCell(this.log, "amqp transport");
    const spec =
      this.options.topology === undefined
        ? undefined
        : validateSpec(this.options.topology, "(AmqpTransport options.topology)");
    this.addressing = new AmqpAddressing(
      spec,
      vhostOf(this.options.url),
      this.options.queueFor,
      this.options.queueType,
      this.options.partitions,
    );
    // The spec sizes the shared delay levels as `mqa topology` does, unless the caller set a size itself.
    if (spec && options?.maxRetryDelayMs === undefined)
      this.options = { ...this.options, maxRetryDelayMs: this.addressing.maxRetryDelayMs! };
    this.publishConnection = new ConnectionManager("publish", this.options, this.log);
    this.consumeConnection = new ConnectionManager("consume", this.options, this.log);
    this.publisher = new ConfirmPublisher(this.publishConnection, this.options, this.log);
    this.firstConnection = new FirstConnectionGate(this.options.maxBufferedPublishes);
    this.consumeConnection.addReadyHook((live) => this.restore(live));
    for (const c of [this.publishConnection, this.consumeConnection]) c.on("state", () => this.deriveState());
  }

  get state(): ConnectionState {
    return this.cell.state;
  }

  /** RabbitMQ version reported by the broker (`3.10.8`), once connected. */
  get serverVersion(): string | undefined {
    return (this.consumeConnection.connection ?? this.publishConnection.connection)?.serverVersion;
  }

  /** The node (URL, password masked) each connection is on now, `undefined` while it is down. */
  get connectedTo(): { publish: string | undefined; consume: string | undefined } {
    const at = (c: ConnectionManager): string | undefined => {
      const url = c.connection?.url;
      return url === undefined ? undefined : maskUrl(url);
    };
    return { publish: at(this.publishConnection), consume: at(this.consumeConnection) };
  }

  /** Publisher counters (confirmed, resent, rejected, too large). */
  get publisherStats(): ConfirmPublisher["stats"] {
    return this.publisher.stats;
  }

  /** Counters of publishes that waited for the first connection (refused when full, timed out). */
  get firstConnectionStats(): FirstConnectionGate["stats"] {
    return this.firstConnection.stats;
  }

  /** The single place the transport's state changes (the cell's rules, log and listeners). */
  private setState(next: ConnectionState): void {
    this.cell.set(next);
  }

  /** Combine both connections: ready only when both are. */
  private deriveState(): void {
    if (this.shuttingDown || this.cell.state.status === "idle") return;
    const p = this.publishConnection.state;
    const c = this.consumeConnection.state;
    if (p.status === "ready" && c.status === "ready") return this.setState({ status: "ready" });
    const down = p.status !== "ready" ? p : c;
    if (down.status === "reconnecting") return this.setState(down);
    if (down.status === "connecting")
      return this.setState(
        this.cell.state.status === "connecting" ? down : { status: "reconnecting", attempt: down.attempt },
      );
  }

  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return this.cell.on(listener);
  }

  async connect(): Promise<void> {
    if (this.shuttingDown) throw new ClosedError("the transport is closed; create a new one");
    this.connecting ??= (async () => {
      if (this.cell.state.status === "idle") this.setState({ status: "connecting", attempt: 1 });
      await Promise.all([this.publishConnection.start(), this.consumeConnection.start()]);
      this.deriveState();
      this.connectedOnce = true;
    })();
    try {
      await this.connecting;
    } catch (err) {
      this.connecting = undefined;
      if (!this.shuttingDown) this.setState({ status: "idle" });
      throw err;
    }
  }

  /**
   * Where a group lives: exchange, queue, dead-letter queue, whether the queue is attached (used as it is),
   * and for an attached queue what the broker will not do for it. Throws `invalid-options` for a name the
   * topology spec does not know.
   */
  groupLayout(topic: string, group: string): GroupLayout {
    const declared = this.declarations.get(`${topic}\u0000${group}`);
    return this.addressing.layout(topic, group, declared?.deadLetter ?? true);
  }

  private plan(declaration: GroupDeclaration, version: string | undefined): TopologyPlan {
    // A topic that keeps a history (spec `history`) gets its stream queue with any of its groups.
    const history = this.addressing.historyOf(declaration.topic);
    const group = this.groupPlan(declaration, version);
    return history ? mergePlans(group, planHistoryTopology(history)) : group;
  }

  private groupPlan(declaration: GroupDeclaration, version: string | undefined): TopologyPlan {
    const g = this.addressing.specGroup(declaration.topic, declaration.group);
    const brokerVersion = version !== undefined ? { brokerVersion: version } : {};
    const replicas =
      this.options.quorumReplicas !== undefined ? { quorumReplicas: this.options.quorumReplicas } : {};
    if (!g)
      return planGroupTopology(
        { ...declaration, partitions: this.addressing.partitionsOf(declaration.topic) },
        {
          queueType: this.options.queueType,
          deliveryLimit: this.options.deliveryLimit,
          maxDelayMs: this.options.maxRetryDelayMs,
          retry: true,
          ...brokerVersion,
          ...replicas,
        },
      );
    // The spec is the source of truth: its group's settings, exactly as `mqa topology` expands them.
    return planGroupTopology(
      { ...groupResourcesOf(g), topic: g.topic, group: g.group, deadLetter: g.deadLetter },
      {
        queueType: g.queueType,
        deliveryLimit: g.deliveryLimit ?? this.options.deliveryLimit,
        maxDelayMs: this.options.maxRetryDelayMs,
        retry: g.retry,
        ...brokerVersion,
        ...replicas,
      },
    );
  }

  async declare(declaration: GroupDeclaration): Promise<void> {
    this.addressing.specGroup(declaration.topic, declaration.group); // a name the spec lacks fails first
    assertPlanNames(this.plan(declaration, undefined)); // so does a name the broker cannot take
    await this.connect();
    const live = await this.consumeConnection.waitReady(this.options.initialConnectTimeoutMs);
    await declarePlan(live.model, this.plan(declaration, live.serverVersion));
    this.declarations.set(`${declaration.topic}\u0000${declaration.group}`, { ...declaration });
    this.warnAttached(declaration);
  }

  /** Say once per attached queue, at warn level, what the broker will not do for it. */
  private warnAttached(declaration: GroupDeclaration): void {
    const layout = this.groupLayout(declaration.topic, declaration.group);
    if (!layout.attached || this.warnedAttached.has(layout.queue)) return;
    this.warnedAttached.add(layout.queue);
    for (const caveat of layout.caveats)
      this.log.warn({ topic: layout.topic, group: layout.group, queue: layout.queue }, caveat);
  }

  /** After a (re)connect: declare everything again, then resume every subscription. */
  private async restore(live: LiveConnection): Promise<void> {
    for (const d of this.declarations.values()) {
      try {
        await declarePlan(live.model, this.plan(d, live.serverVersion));
      } catch (err) {
        // A conflict (someone redeclared the queue differently) or an attached queue that was deleted must
        // not keep the whole connection down: report it and go on (its subscription keeps retrying); a dead
        // connection is rethrown and simply retried.
        if (!MqaError.is(err, "precondition-failed") && !MqaError.is(err, "not-found")) throw err;
        this.log.error(
          { topic: d.topic, group: d.group, err: err.message },
          "amqp redeclare after reconnect failed",
        );
      }
    }
    await Promise.all(
      [...this.subscriptions].map((s) =>
        s.start(live).catch((err: unknown) => {
          // e.g. its queue was deleted: the subscription keeps retrying on its own.
          this.log.error(
            { topic: s.topic, group: s.group, err: summarizeError(err) },
            "amqp resubscribe failed",
          );
          s.retryLater();
        }),
      ),
    );
  }

  publish(topic: string, message: OutgoingMessage, options: PublishOptions = {}): Promise<PublishReceipt> {
    if (this.shuttingDown)
      return Promise.reject(new ClosedError("the transport is closed; create a new one"));
    let exchange: string;
    try {
      exchange = this.addressing.exchangeFor(topic); // a name the spec lacks fails before any I/O
    } catch (err) {
      return Promise.reject(err);
    }
    // Counted so a graceful close lets publishes already called finish (their confirms included).
    this.unsettledPublishes.begin();
    return this.publishNow(topic, exchange, message, options);
  }

  private async publishNow(
    topic: string,
    exchange: string,
    message: OutgoingMessage,
    options: PublishOptions,
  ): Promise<PublishReceipt> {
    try {
      const properties = toPublishProperties(message);
      const request = {
        exchange,
        routingKey: this.addressing.routingKeyFor(topic, message.key),
        content: Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength),
        properties,
      };
      let timeoutMs = options.timeoutMs ?? this.options.publishTimeoutMs;
      if (!this.connectedOnce) {
        this.publisher.check(request); // a message the broker cannot take fails now, not after connecting
        // Not connect(): a close that starts now must still let this already-accepted publish finish.
        timeoutMs = await this.firstConnection.wait(this.connecting ?? this.connect(), timeoutMs, exchange);
      }
      await this.publisher.publish({ ...request, timeoutMs });
      return { id: properties.messageId };
    } finally {
      this.unsettledPublishes.end();
    }
  }

  /** Confirmed publish of a retry or dead-letter copy (delay level, group queue or `mqa.dlx`). */
  private readonly publishCopy = async (exchange: string, routingKey: string, message: OutgoingMessage) => {
    const properties = toPublishProperties(message);
    await this.publisher.publish({
      exchange,
      routingKey,
      content: Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength),
      properties,
    });
  };

  async subscribe(
    topic: string,
    group: string,
    handler: DeliveryHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.shuttingDown) throw new ClosedError("the transport is closed; create a new one");
    if (!this.declarations.has(`${topic}\u0000${group}`)) await this.declare({ topic, group });
    const layout = this.groupLayout(topic, group);
    // A partitioned group consumes its partition queues (single active consumer on each): with balancing,
    // only the ones assigned to this member, which start paused until the balancer acquires them.
    const partitioned = layout.queues.length > 1;
    const balance = partitioned ? this.options.partitionBalance : false;
    const parts = layout.queues.map((queue) =>
      this.subscribeQueue(topic, group, queue, layout, handler, options, partitioned),
    );
    if (balance) await Promise.all(parts.map((p) => p.pause()));
    const live = await this.consumeConnection.waitReady(this.options.initialConnectTimeoutMs);
    await Promise.all(parts.map((p) => p.start(live)));
    if (!partitioned) return parts[0]!;
    if (!balance) return new PartitionedSubscription(topic, group, parts);
    const balancer = new PartitionBalancer(layout.queue, parts, this.consumeConnection, balance, this.log);
    await balancer.start(live);
    return new PartitionedSubscription(topic, group, parts, balancer);
  }

  /** A subscription to one queue of a group (its own, or one of its partitions). */
  private subscribeQueue(
    topic: string,
    group: string,
    queue: string,
    layout: GroupLayout,
    handler: DeliveryHandler,
    options: SubscribeOptions,
    /** A partition queue (single active consumer): closed by handing it over in order. */
    handover = false,
  ): AmqpSubscription {
    const queueType = layout.spec ? layout.spec.queueType : this.options.queueType;
    const subscription = new AmqpSubscription(
      topic,
      group,
      queue,
      handler,
      this.consumeConnection,
      this.publishCopy,
      {
        prefetch: options.prefetch ?? this.options.prefetch,
        ackBatchSize: this.options.ackBatchSize,
        ackBatchMs: this.options.ackBatchMs,
        closeTimeoutMs: this.options.closeTimeoutMs,
        deadLetterQueue: layout.deadLetterQueue,
        ...(queueType === "stream" && !layout.attached
          ? { consumeArguments: { "x-stream-offset": "first" } }
          : {}),
        unsettled: unsettledPolicyFor(
          layout.attached ? layout.spec?.describedQueue?.type : queueType,
          layout.spec?.deliveryLimit ?? this.options.deliveryLimit,
        ),
        handover,
      },
      this.log,
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async readDeadLetters(topic: string, group: string, limit = 100): Promise<DeadLetter[]> {
    return readDeadLetters(await this.deadLetterContext(), topic, group, limit);
  }

  async walkDeadLetters(
    topic: string,
    group: string,
    visit: DeadLetterVisitor,
    options?: DeadLetterWalkOptions,
  ): Promise<DeadLetterWalkResult> {
    return walkAmqpDeadLetters(await this.deadLetterContext(), topic, group, visit, options);
  }

  async countDeadLetters(topic: string, group: string): Promise<DeadLetterCount> {
    return countAmqpDeadLetters(await this.deadLetterContext(), topic, group);
  }

  async appendDeadLetter(topic: string, group: string, message: OutgoingMessage): Promise<void> {
    await appendAmqpDeadLetter(await this.deadLetterContext(), topic, group, message);
  }

  private async deadLetterContext(): Promise<AmqpDeadLetterContext> {
    await this.connect();
    const live = await this.consumeConnection.waitReady(this.options.initialConnectTimeoutMs);
    return {
      model: live.model,
      publish: (request) => this.publisher.publish(request),
      queuesOf: (topic, group, key) => {
        const layout = this.groupLayout(topic, group);
        // A partitioned group takes a redriven message back on its key's partition.
        const queue = layout.queues[partitionForKey(key, layout.queues.length)] ?? layout.queue;
        return { queue, deadLetterQueue: layout.deadLetterQueue ?? `${layout.queue}.dlq` };
      },
    };
  }

  /**
   * Graceful shutdown (see {@link Transport.close}). A second call returns the first one's promise, so
   * it also resolves only once the transport is closed.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closeRun ??= this.shutdown(options.timeoutMs ?? this.options.closeTimeoutMs);
    return this.closeRun;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    if (this.shuttingDown) return; // aborted already
    this.setState({ status: "closing" });
    this.shuttingDown = true;
    await Promise.all([...this.subscriptions].map((s) => s.close({ timeoutMs })));
    if (!(await drainWithin(this.unsettledPublishes, timeoutMs)))
      this.log.warn({ pending: this.unsettledPublishes.size }, "amqp closing with publishes unsettled");
    await this.publisher.close(0);
    await Promise.all([this.publishConnection.close(), this.consumeConnection.close()]);
    this.setState({ status: "closed" });
  }

  async abort(): Promise<void> {
    if (this.shuttingDown && this.cell.state.status === "closed") return;
    this.setState({ status: "closing" });
    this.shuttingDown = true;
    for (const s of this.subscriptions) s.abandon();
    this.subscriptions.clear();
    await Promise.all([this.publishConnection.abort(), this.consumeConnection.abort()]);
    await this.publisher.close(0);
    this.setState({ status: "closed" });
  }
}

/** The vhost of an AMQP URL (the first, for a list): its path, `/` when empty. */
function vhostOf(url: string | readonly string[]): string {
  const first = typeof url === "string" ? url : (url[0] ?? "");
  try {
    const path = new URL(first).pathname;
    return path === "" || path === "/" ? "/" : decodeURIComponent(path.slice(1));
  } catch {
    return "/";
  }
}

/** Create a RabbitMQ transport; options are validated here (see docs/amqp.md). */
export function createAmqpTransport(options?: AmqpTransportOptions): AmqpTransport {
  return new AmqpTransport(options);
}

/**
 * The Transport over the embedded {@link MemoryBroker}. Same contract as the RabbitMQ and Redis
 * transports, so code and tests move between them by changing a URL.
 */
import { ClosedError } from "../../core/errors.js";
import { deadLetterHeaders, Headers } from "../../core/message.js";
import type { DeadLetterReason, Message, OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";
import { silentLogger } from "../../log/logger.js";
import type {
  ConnectionState,
  DeadLetter,
  Delivery,
  DeliveryHandler,
  GroupDeclaration,
  PublishReceipt,
  RetryOptions,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportFeatures,
} from "../../core/transport.js";
import { ConnectionStateCell } from "../connection-state.js";
import { drainWithin } from "../drain.js";
import { InFlight } from "../in-flight.js";
import { MemoryBroker } from "./broker.js";
import {
  appendMemoryDeadLetter,
  countMemoryDeadLetters,
  walkMemoryDeadLetters,
} from "./dead-letter-queues.js";
import type {
  DeadLetterCount,
  DeadLetterQueues,
  DeadLetterVisitor,
  DeadLetterWalkOptions,
  DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import type { BrokerConsumer, GroupQueue, StoredMessage } from "./broker.js";

export interface MemoryTransportOptions {
  /** The broker to use, or the name of a process-wide one. @defaultValue "default" */
  broker?: MemoryBroker | string;
}

/** What an ack returns: the embedded broker settles synchronously. */
const SETTLED: Promise<void> = Promise.resolve();

/** The headers of every message published without any: one frozen object instead of one per message. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** What the in-memory transport guarantees. */
export const memoryFeatures: TransportFeatures = {
  consumerGroups: true,
  brokerSideDelay: true,
  ordering: "per-topic",
  persistence: "none",
  redeliversOnConsumerLoss: true,
  unroutable: "reject",
  crossProcess: false,
};

class MemorySubscription implements Subscription, BrokerConsumer {
  paused = false;
  readonly held = new Map<number, StoredMessage>();
  private readonly running = new InFlight();
  private closed = false;
  /** Settlements attempted after this consumer was lost; dropped like an ack on a dead channel. */
  staleSettlements = 0;

  constructor(
    readonly topic: string,
    readonly group: string,
    readonly prefetch: number,
    private readonly queue: GroupQueue,
    private readonly handler: DeliveryHandler,
    private readonly onClosed: (s: MemorySubscription) => void,
  ) {}

  deliver(tag: number, stored: StoredMessage, attempt: number): void {
    const m = stored.message;
    const delivery = new MemoryDelivery(this, tag, stored, {
      id: m.id,
      topic: m.topic,
      key: m.key,
      payload: m.payload,
      contentType: m.contentType,
      headers: m.headers,
      timestamp: m.timestamp,
      correlationId: m.correlationId,
      causationId: m.causationId,
      attempt,
    });
    this.running.begin();
    // One continuation per delivery and a counter, not an async wrapper and a set of promises: this is the
    // embedded broker's hot path, and each promise kept per delivery costs garbage-collection time.
    let result: Promise<void> | undefined;
    try {
      result = this.handler(delivery);
    } catch {
      result = undefined;
    }
    if (result === undefined) this.finish(delivery);
    else
      result.then(
        () => this.finish(delivery),
        () => this.finish(delivery), // a handler must settle; one that throws instead is retried rather than lost
      );
  }

  /**
   * After the handler: an unsettled delivery goes back to the broker as a redelivery (delivery count kept, so
   * the delivery limit still stops a handler that never settles).
   */
  private finish(delivery: MemoryDelivery): void {
    if (!delivery.settled && this.held.has(delivery.tag)) this.release(delivery.tag);
    this.running.end();
  }

  /** Remove `tag` from this consumer if it still holds it; false when the delivery is stale. */
  take(tag: number): StoredMessage | undefined {
    const stored = this.held.get(tag);
    if (stored === undefined) {
      this.staleSettlements++;
      return undefined;
    }
    this.held.delete(tag);
    this.queue.schedule();
    return stored;
  }

  /** Give a held delivery back to the queue unsettled (a nack with requeue). */
  release(tag: number): void {
    const stored = this.held.get(tag);
    if (stored === undefined) return;
    this.held.delete(tag);
    this.queue.enqueue(stored);
  }

  enqueue(stored: StoredMessage, delayMs: number): void {
    this.queue.enqueue(stored, delayMs);
  }

  addDeadLetter(message: Message, reason: DeadLetterReason): void {
    this.queue.addDeadLetter({ ...message, headers: deadLetterHeaders(message, this.group, reason) });
  }

  async pause(): Promise<void> {
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (this.closed) return;
    this.paused = false;
    this.queue.schedule();
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.paused = true;
    await drainWithin(this.running, options.timeoutMs ?? 30_000);
    this.detach();
  }

  /** Leave at once; whatever is held goes back to the queue for other consumers. */
  abort(): void {
    this.closed = true;
    this.paused = true;
    this.detach();
  }

  private detach(): void {
    this.queue.removeConsumer(this);
    const unsettled = [...this.held.values()];
    this.held.clear();
    this.queue.returnToQueue(unsettled);
    this.onClosed(this);
  }
}

class MemoryDelivery implements Delivery {
  settled = false;

  constructor(
    private readonly consumer: MemorySubscription,
    readonly tag: number,
    private readonly stored: StoredMessage,
    readonly message: Message,
  ) {}

  get group(): string {
    return this.consumer.group;
  }

  private settle(): StoredMessage | undefined {
    if (this.settled) return undefined;
    this.settled = true;
    return this.consumer.take(this.tag);
  }

  ack(): Promise<void> {
    this.settle();
    return SETTLED; // nothing to wait for in memory: no promise of its own per message
  }

  async retry(options: RetryOptions = {}): Promise<void> {
    const stored = this.settle();
    if (!stored) return;
    const countAttempt = options.countAttempt ?? true;
    const headers = {
      ...stored.message.headers,
      ...options.headers,
      [Headers.attempt]: String(this.message.attempt + (countAttempt ? 1 : 0)),
    };
    this.consumer.enqueue({ message: { ...stored.message, headers }, deliveries: 0 }, options.delayMs ?? 0);
  }

  async deadLetter(reason: DeadLetterReason): Promise<void> {
    if (!this.settle()) return;
    this.consumer.addDeadLetter(this.message, reason);
  }
}

/** In-memory transport. Not a production broker: nothing survives the process. */
export class MemoryTransport implements Transport, DeadLetterQueues {
  readonly name = "memory";
  readonly features = memoryFeatures;
  readonly broker: MemoryBroker;
  private readonly cell = new ConnectionStateCell(silentLogger(), "memory transport");
  private readonly subscriptions = new Set<MemorySubscription>();
  /** The graceful close under way or done. */
  private closeRun: Promise<void> | undefined;

  constructor(options: MemoryTransportOptions = {}) {
    const b = options.broker ?? "default";
    this.broker = typeof b === "string" ? MemoryBroker.named(b) : b;
  }

  get state(): ConnectionState {
    return this.cell.state;
  }

  private setState(next: ConnectionState): void {
    this.cell.set(next);
  }

  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return this.cell.on(listener);
  }

  private assertOpen(): void {
    const s = this.cell.state.status;
    if (s === "closing" || s === "closed") {
      throw new ClosedError("this memory transport is closed; create a new one");
    }
  }

  async connect(): Promise<void> {
    this.assertOpen();
    this.setState({ status: "ready" });
  }

  async declare(declaration: GroupDeclaration): Promise<void> {
    this.assertOpen();
    this.broker.declare(declaration.topic, declaration.group);
  }

  async publish(topic: string, message: OutgoingMessage): Promise<PublishReceipt> {
    this.assertOpen();
    const id = message.id ?? newMessageId();
    this.broker.publish({
      id,
      topic,
      key: message.key,
      payload: message.payload,
      contentType: message.contentType,
      headers: message.headers === undefined ? NO_HEADERS : { ...message.headers },
      timestamp: message.timestamp ?? Date.now(),
      correlationId: message.correlationId,
      causationId: message.causationId,
    });
    return { id };
  }

  async subscribe(
    topic: string,
    group: string,
    handler: DeliveryHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    this.assertOpen();
    const queue = this.broker.declare(topic, group);
    const sub = new MemorySubscription(topic, group, options.prefetch ?? 10, queue, handler, (s) =>
      this.subscriptions.delete(s),
    );
    this.subscriptions.add(sub);
    queue.addConsumer(sub);
    return sub;
  }

  async readDeadLetters(topic: string, group: string, limit = 100): Promise<DeadLetter[]> {
    const queue = this.broker.group(topic, group);
    if (!queue) return [];
    return queue.deadLetters.slice(0, limit).map((m) => ({
      message: m,
      reason: m.headers[Headers.deadLetterReason] ?? "unknown",
      headers: m.headers,
    }));
  }

  walkDeadLetters(
    topic: string,
    group: string,
    visit: DeadLetterVisitor,
    options?: DeadLetterWalkOptions,
  ): Promise<DeadLetterWalkResult> {
    return walkMemoryDeadLetters(this.broker, topic, group, visit, options);
  }

  async countDeadLetters(topic: string, group: string): Promise<DeadLetterCount> {
    return countMemoryDeadLetters(this.broker, topic, group);
  }

  async appendDeadLetter(topic: string, group: string, message: OutgoingMessage): Promise<void> {
    appendMemoryDeadLetter(this.broker, topic, group, message);
  }

  /** Graceful shutdown. A second call returns the first one's promise (it too waits until closed). */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closeRun ??= this.shutdown(options);
    return this.closeRun;
  }

  private async shutdown(options: { timeoutMs?: number }): Promise<void> {
    if (this.cell.state.status === "closed") return; // aborted already
    this.setState({ status: "closing" });
    await Promise.all([...this.subscriptions].map((s) => s.close(options)));
    this.setState({ status: "closed" });
  }

  async abort(): Promise<void> {
    for (const s of [...this.subscriptions]) s.abort();
    this.setState({ status: "closed" });
  }
}

/** Create an in-memory transport. `memory://name` URLs share the broker called `name`. */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  return new MemoryTransport(options);
}

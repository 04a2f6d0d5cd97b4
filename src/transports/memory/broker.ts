/**
 * The embedded in-memory broker: the reference semantics of mqa's model, the default for `mqa demo`
 * and for fast tests. It is NOT a production broker: everything lives in one process's memory and is
 * gone when it exits.
 *
 * Topics fan out to groups; each group is a FIFO queue with competing consumers, prefetch, delivery
 * counts, delayed redelivery, a dead-letter queue and a delivery limit that dead-letters crash loops.
 */
import Denque from "denque";
import { UnroutableError } from "../../core/errors.js";
import { attemptFromHeaders, Headers } from "../../core/message.js";
import type { Message } from "../../core/message.js";

/** Deliveries one dispatch round hands out at most (see {@link GroupQueue.dispatch}). */
const MAX_DELIVERIES_PER_ROUND = 512;

/** A message as stored: the published fields plus the broker's delivery count for it. */
export interface StoredMessage {
  message: Omit<Message, "attempt">;
  /** Deliveries of this copy so far (reset when the message is re-published by a retry). */
  deliveries: number;
}

/** A consumer attached to a group queue. */
export interface BrokerConsumer {
  readonly prefetch: number;
  paused: boolean;
  /** Deliveries held and not yet settled. */
  readonly held: Map<number, StoredMessage>;
  deliver(tag: number, stored: StoredMessage, attempt: number): void;
}

export interface GroupQueueOptions {
  /** After this many deliveries of one copy without settlement, dead-letter it (crash-loop guard). */
  deliveryLimit: number;
  /** Dead letters kept per group; past it the oldest is dropped and counted in `deadLettersDropped`. */
  deadLetterLimit: number;
}

/** A dead letter as the embedded broker keeps it. */
export type StoredDeadLetter = Omit<Message, "attempt"> & { attempt: number };

/** One group's queue. */
export class GroupQueue {
  /** Waiting messages, oldest first. A ring buffer: taking from the head of an array costs its length. */
  readonly ready = new Denque<StoredMessage>();
  /** Oldest first, at most `deadLetterLimit` of them (the embedded broker has no disk to spill to). */
  readonly deadLetters: StoredDeadLetter[] = [];
  /** Dead letters dropped (oldest first) because the group already kept `deadLetterLimit` of them. */
  deadLettersDropped = 0;
  readonly consumers: BrokerConsumer[] = [];
  private delayed = new Set<NodeJS.Timeout>();
  private nextConsumer = 0;
  private scheduled = false;

  constructor(
    readonly topic: string,
    readonly group: string,
    private readonly nextTag: () => number,
    private readonly options: GroupQueueOptions,
  ) {}

  /** Messages waiting, held by consumers, and waiting out a delay. */
  get depth(): { ready: number; unacked: number; delayed: number; deadLetters: number } {
    let unacked = 0;
    for (const c of this.consumers) unacked += c.held.size;
    return {
      ready: this.ready.length,
      unacked,
      delayed: this.delayed.size,
      deadLetters: this.deadLetters.length,
    };
  }

  enqueue(stored: StoredMessage, delayMs = 0): void {
    if (delayMs <= 0) {
      this.ready.push(stored);
      this.schedule();
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.ready.push(stored);
      this.schedule();
    }, delayMs);
    this.delayed.add(timer);
  }

  /** Keep a dead letter, dropping (and counting) the oldest past `deadLetterLimit`. */
  addDeadLetter(letter: StoredDeadLetter): void {
    this.deadLetters.push(letter);
    const excess = this.deadLetters.length - this.options.deadLetterLimit;
    if (excess > 0) {
      this.deadLetters.splice(0, excess);
      this.deadLettersDropped += excess;
    }
  }

  /** Put held messages back at the head of the queue (consumer lost or closed before settling). */
  returnToQueue(messages: Iterable<StoredMessage>): void {
    // Back at the head in the order they were held.
    for (const m of [...messages].reverse()) this.ready.unshift(m);
    this.schedule();
  }

  addConsumer(consumer: BrokerConsumer): void {
    this.consumers.push(consumer);
    this.schedule();
  }

  removeConsumer(consumer: BrokerConsumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
  }

  /**
   * Dispatch on a later turn of the event loop (setImmediate), so delivery never re-enters the caller's
   * stack and timers and I/O run between dispatch rounds, as they would between a real broker's deliveries.
   */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  /**
   * Deliver at most the messages that were ready when this round began. A handler that settles
   * synchronously (an immediate `retry()`) re-enqueues its message during the round; that message waits for
   * the next round, so a handler that retries forever still lets the event loop turn between deliveries
   * (without the bound this loop never returned: no timer fired and handlers piled up until the heap ran out).
   */
  private dispatch(): void {
    // A handler that acks at once frees its prefetch slot within this loop, so without a cap one round would
    // hand out the whole backlog in one turn of the event loop: every handler's continuation queued at once
    // (memory and garbage-collection time in proportion to the backlog) and no timer or I/O until it ends.
    const cap = Math.min(this.ready.length, MAX_DELIVERIES_PER_ROUND);
    for (let budget = cap; budget > 0 && this.ready.length > 0; budget--) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const stored = this.ready.shift() as StoredMessage;
      stored.deliveries++;
      if (stored.deliveries > this.options.deliveryLimit) {
        this.addDeadLetter({
          ...stored.message,
          headers: {
            ...stored.message.headers,
            [Headers.deadLetterReason]: "delivery-limit",
            [Headers.deadLetteredAt]: new Date().toISOString(),
            [Headers.originalDestination]: this.topic,
            [Headers.originalGroup]: this.group,
          },
          attempt: attemptFromHeaders(stored.message.headers) + stored.deliveries - 2,
        });
        continue;
      }
      const tag = this.nextTag();
      consumer.held.set(tag, stored);
      const attempt = attemptFromHeaders(stored.message.headers) + stored.deliveries - 1;
      consumer.deliver(tag, stored, attempt);
    }
    // Capped with messages left: the next round comes after the handlers' continuations and any I/O.
    if (cap === MAX_DELIVERIES_PER_ROUND && this.ready.length > 0) this.schedule();
  }

  private pickConsumer(): BrokerConsumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.nextConsumer + i) % n] as BrokerConsumer;
      if (!c.paused && c.held.size < c.prefetch) {
        this.nextConsumer = (this.nextConsumer + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  /** Cancel delayed redeliveries (broker shutdown). */
  dispose(): void {
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
  }
}

export interface MemoryBrokerOptions {
  /** Deliveries of one copy without settlement before it is dead-lettered. @defaultValue 20 */
  deliveryLimit?: number;
  /**
   * Dead letters kept per group: everything lives in this process's memory, so past this many the
   * oldest is dropped and counted (`GroupQueue.deadLettersDropped`). @defaultValue 10000
   */
  deadLetterLimit?: number;
}

/** An in-process broker. Share one between transports with {@link MemoryBroker.named}. */
export class MemoryBroker {
  private static readonly registry = new Map<string, MemoryBroker>();
  private readonly topics = new Map<string, Map<string, GroupQueue>>();
  private tag = 0;

  constructor(private readonly options: MemoryBrokerOptions = {}) {}

  /**
   * The broker registered under `name` in this process, created on first use. {@link dispose} removes it
   * from the registry, so the next call with that name starts a new, empty broker.
   */
  static named(name: string): MemoryBroker {
    let broker = MemoryBroker.registry.get(name);
    if (!broker) {
      broker = new MemoryBroker();
      MemoryBroker.registry.set(name, broker);
    }
    return broker;
  }

  /** Create the topic and group if missing. */
  declare(topic: string, group: string): GroupQueue {
    let groups = this.topics.get(topic);
    if (!groups) {
      groups = new Map();
      this.topics.set(topic, groups);
    }
    let queue = groups.get(group);
    if (!queue) {
      queue = new GroupQueue(topic, group, () => ++this.tag, {
        deliveryLimit: this.options.deliveryLimit ?? 20,
        deadLetterLimit: this.options.deadLetterLimit ?? 10_000,
      });
      groups.set(group, queue);
    }
    return queue;
  }

  group(topic: string, group: string): GroupQueue | undefined {
    return this.topics.get(topic)?.get(group);
  }

  /**
   * Fan a message out to every group of its topic; unroutable when there is none. The broker keeps `message`
   * as given (the transport hands it a copy): change neither it nor its headers afterwards.
   */
  publish(message: Omit<Message, "attempt">): void {
    const groups = this.topics.get(message.topic);
    if (!groups || groups.size === 0) {
      throw new UnroutableError(
        `no group is declared on topic "${message.topic}", so the message would be dropped; ` +
          `declare a group first (transport.declare({ topic, group }) or start a Router)`,
      );
    }
    // Stored messages are never changed in place (a retry stores a new copy), so the groups share one.
    for (const queue of groups.values()) queue.enqueue({ message, deliveries: 0 });
  }

  /** Every queue, for monitoring and tests. */
  *queues(): IterableIterator<GroupQueue> {
    for (const groups of this.topics.values()) yield* groups.values();
  }

  /** Drop timers so the process can exit, and leave the process-wide registry if this broker is in it. */
  dispose(): void {
    for (const q of this.queues()) q.dispose();
    for (const [name, broker] of MemoryBroker.registry)
      if (broker === this) MemoryBroker.registry.delete(name);
  }
}

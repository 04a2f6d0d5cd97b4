/** The Redis Streams transport: publisher, subscriber and declarer over one Redis server. */
import type { RedisClient } from "./client.js";
import { silentLogger, type Logger } from "../../log/logger.js";
import { ClosedError, ConnectionClosedError } from "../../core/errors.js";
import { attemptFromHeaders, Headers, type Message, type OutgoingMessage } from "../../core/message.js";
import { maskSecretsInText, maskUrl } from "../../core/redact.js";
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
import { createClient, firstReady, followClient } from "./connection.js";
import { declareGroup } from "./declare.js";
import { detectServerDurability, durabilityFor, type ServerDurability } from "./durability.js";
import { decodeEntry, type RawEntry } from "./fields.js";
import {
  appendRedisDeadLetter,
  countRedisDeadLetters,
  walkRedisDeadLetters,
  type RedisDeadLetterContext,
} from "./dead-letter-queues.js";
import type {
  DeadLetterCount,
  DeadLetterQueues,
  DeadLetterVisitor,
  DeadLetterWalkOptions,
  DeadLetterWalkResult,
} from "../../core/dead-letter-queues.js";
import { inspectPartition, type PartitionHealth } from "./inspect.js";
import { RedisKeyNames } from "./naming.js";
import {
  parseRedisOptions,
  type RedisTransportOptions,
  type ResolvedRedisOptions,
  type ResolvedRedisTopic,
} from "./options.js";
import { StreamPublisher } from "./publisher.js";
import { newStats, type RedisTransportStats } from "./stats.js";
import { RedisSubscription } from "./subscription.js";
import { requireSpecTopic } from "./spec-topics.js";
import { StreamTrimmer, trimStream } from "./trimmer.js";

/** How long close() waits for the server to answer QUIT before dropping the connection. */
const QUIT_TIMEOUT_MS = 2_000;

/** Redis Streams transport. Construct with {@link createRedisTransport} or `new RedisTransport(options)`. */
export class RedisTransport implements Transport, DeadLetterQueues {
  readonly name = "redis";
  /** Resolved options; private because they may hold a password. */
  private readonly options: ResolvedRedisOptions;
  readonly names: RedisKeyNames;
  /** PEL housekeeping counters. */
  readonly stats: RedisTransportStats = newStats();
  private readonly logger: Logger;
  private readonly command: RedisClient;
  private readonly cell: ConnectionStateCell;
  private readonly trimmer: StreamTrimmer;
  private readonly publisher: StreamPublisher;
  private readonly subscriptions = new Set<RedisSubscription>();
  private readonly declarations = new Map<string, GroupDeclaration>();
  private server: ServerDurability | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  /** The graceful close under way or done (every caller of close() waits for it). */
  private closeRun: Promise<void> | undefined;
  private everReady = false;
  /** connect() has succeeded: publishes go straight to the publisher. */
  private connectedOnce = false;

  constructor(options: RedisTransportOptions = {}) {
    this.options = parseRedisOptions(options);
    this.logger = (this.options.logger ?? silentLogger()).child({ transport: "redis" });
    this.names = new RedisKeyNames(
      this.options.keyPrefix,
      new Map(
        Object.entries(this.options.topics).flatMap(([topic, t]) =>
          t.key === undefined ? [] : [[topic, t.key] as const],
        ),
      ),
    );
    this.cell = new ConnectionStateCell(this.logger, "redis connection", {
      url: maskUrl(this.options.url),
    });
    this.command = createClient(this.options, "command", this.logger);
    followClient(this.cell, this.command);
    this.command.on("ready", () => {
      // After a reconnect: make every declaration again (a restarted server without persistence
      // lost them), without user code.
      if (this.everReady) void this.redeclareAll();
      this.everReady = true;
    });
    this.trimmer = new StreamTrimmer(this.command, this.logger);
    const durability = this.options.durability
      ? durabilityFor(this.command, () => this.server, this.options.durability)
      : undefined;
    this.publisher = new StreamPublisher(
      this.command,
      this.names,
      this.options,
      this.trimmer,
      durability,
      this.logger,
      this.stats,
      maskUrl(this.options.url),
    );
  }

  /**
   * What this transport guarantees. `persistence` is "disk" only when the connected server has
   * `appendonly yes` (RDB snapshots alone lose recent writes); "none" before connecting or when
   * the server's config cannot be read.
   */
  get features(): TransportFeatures {
    return {
      consumerGroups: true,
      brokerSideDelay: true,
      ordering: "per-key",
      persistence: this.server?.appendOnly ? "disk" : "none",
      redeliversOnConsumerLoss: true,
      unroutable: "retain",
      crossProcess: true,
    };
  }

  get state(): ConnectionState {
    return this.cell.state;
  }

  /** What the server can confirm about durability (after connect). */
  get serverDurability(): ServerDurability | undefined {
    return this.server;
  }

  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return this.cell.on(listener);
  }

  connect(): Promise<void> {
    if (this.closed)
      return Promise.reject(new ClosedError("the Redis transport is closed; create a new one"));
    this.connecting ??= this.open().then(
      () => this.publisher.open(),
      (err: unknown) => {
        this.connecting = undefined;
        // Publishes parked for this first connection were never sent: they fail with it.
        this.publisher.connectFailed(err);
        throw err;
      },
    );
    return this.connecting;
  }

  private async open(): Promise<void> {
    this.cell.set({ status: "connecting", attempt: 1 });
    try {
      await firstReady(this.command, this.options.initialConnectTimeoutMs);
    } catch (cause) {
      this.command.disconnect();
      this.cell.set({ status: "idle" });
      throw new ConnectionClosedError(
        `cannot connect to ${maskUrl(this.options.url)} within ${this.options.initialConnectTimeoutMs} ms: ` +
          `${maskSecretsInText((cause as Error).message)} ` +
          "(check url, username/password, tls options, or raise initialConnectTimeoutMs)",
        { cause },
      );
    }
    this.server = await detectServerDurability(this.command);
    this.connectedOnce = true;
    this.logger.info({ url: maskUrl(this.options.url), ...this.server }, "connected to redis");
  }

  private key(d: GroupDeclaration): string {
    return JSON.stringify([d.topic, d.group]);
  }

  /**
   * Create the topic's streams and the group (idempotent). A group configured `existing` is only checked:
   * `not-found` when it (or its stream) is missing. With a topology spec, a topic or group the spec does not
   * list fails with `invalid-options`.
   */
  async declare(declaration: GroupDeclaration): Promise<void> {
    if (this.options.specTopics)
      requireSpecTopic(this.options.specTopics, declaration.topic, declaration.group);
    await this.connect();
    const topic = this.topicSettings(declaration.topic);
    await declareGroup(this.command, this.names, {
      topic: declaration.topic,
      group: declaration.group,
      partitions: topic?.partitions ?? 1,
      deadLetter: declaration.deadLetter ?? true,
      trim: topic?.trim,
      existing: topic?.groups?.[declaration.group]?.existing === true,
    });
    this.declarations.set(this.key(declaration), declaration);
  }

  private async redeclareAll(): Promise<void> {
    for (const d of this.declarations.values()) {
      await this.declare(d).catch((err: unknown) =>
        this.logger.warn(
          { topic: d.topic, group: d.group, err: String(err) },
          "redeclare after reconnect failed",
        ),
      );
    }
  }

  /** A topic's own settings (an own entry of `topics` only, never an Object.prototype member). */
  private topicSettings(topic: string): ResolvedRedisTopic | undefined {
    return Object.hasOwn(this.options.topics, topic) ? this.options.topics[topic] : undefined;
  }

  publish(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.closed)
      return Promise.reject(new ClosedError("the Redis transport is closed; create a new one"));
    if (this.options.specTopics) {
      try {
        requireSpecTopic(this.options.specTopics, topic);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    // Before the first connection the publisher parks the publish (within its bounds and its own timeout)
    // and sends it once connected; a failed connection rejects it (connectFailed). No await per publish.
    if (!this.connectedOnce) this.connect().catch(() => undefined);
    return this.publisher.publish(topic, message, options);
  }

  async subscribe(
    topic: string,
    group: string,
    handler: DeliveryHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.closed) throw new ClosedError("the Redis transport is closed; create a new one");
    await this.declare({ topic, group, ...(this.declarations.get(this.key({ topic, group })) ?? {}) });
    const sub = new RedisSubscription(topic, group, handler, Math.max(1, options.prefetch ?? 10), {
      command: this.command,
      options: this.options,
      names: this.names,
      logger: this.logger,
      stats: this.stats,
      createBlockingClient: () => createClient(this.options, "consumer", this.logger),
      redeclare: (t, g) =>
        this.declare({
          ...(this.declarations.get(this.key({ topic: t, group: g })) ?? {}),
          topic: t,
          group: g,
        }),
    });
    this.subscriptions.add(sub);
    const close = sub.close.bind(sub);
    sub.close = async (o) => {
      await close(o);
      this.subscriptions.delete(sub);
    };
    try {
      await sub.start();
    } catch (err) {
      sub.abort();
      this.subscriptions.delete(sub);
      throw err;
    }
    return sub;
  }

  async readDeadLetters(topic: string, group: string, limit = 100): Promise<DeadLetter[]> {
    await this.connect();
    const partitions = this.topicSettings(topic)?.partitions ?? 1;
    const all: { at: string; letter: DeadLetter }[] = [];
    for (const keys of this.names.group(topic, group, partitions)) {
      const entries = (await this.command.xrangeBuffer(keys.dlq, "-", "+", "COUNT", limit)) as RawEntry[];
      for (const raw of entries) {
        const decoded = decodeEntry(raw);
        if (!decoded) continue;
        const message: Message = decoded.toMessage(topic, decoded.storedAttempt);
        const headers = { ...message.headers };
        all.push({
          at: headers[Headers.deadLetteredAt] ?? "",
          letter: {
            message: { ...message, attempt: attemptFromHeaders(headers) },
            reason:
              decoded.fields.get("reason")?.toString() ?? headers[Headers.deadLetterReason] ?? "unknown",
            headers,
          },
        });
      }
    }
    all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return all.slice(0, limit).map((x) => x.letter);
  }

  async walkDeadLetters(
    topic: string,
    group: string,
    visit: DeadLetterVisitor,
    options?: DeadLetterWalkOptions,
  ): Promise<DeadLetterWalkResult> {
    return walkRedisDeadLetters(await this.deadLetterContext(), topic, group, visit, options);
  }

  async countDeadLetters(topic: string, group: string): Promise<DeadLetterCount> {
    return countRedisDeadLetters(await this.deadLetterContext(), topic, group);
  }

  async appendDeadLetter(topic: string, group: string, message: OutgoingMessage): Promise<void> {
    await appendRedisDeadLetter(await this.deadLetterContext(), topic, group, message);
  }

  private async deadLetterContext(): Promise<RedisDeadLetterContext> {
    await this.connect();
    return {
      client: this.command,
      names: this.names,
      partitionsOf: (topic) => this.topicSettings(topic)?.partitions ?? 1,
    };
  }

  /** Lag, pending entries (and their age), retries and dead letters of a group, per partition. */
  async inspect(topic: string, group: string): Promise<PartitionHealth[]> {
    await this.connect();
    const partitions = this.topicSettings(topic)?.partitions ?? 1;
    return Promise.all(
      this.names.group(topic, group, partitions).map((k) => inspectPartition(this.command, k, group)),
    );
  }

  /** Trim a topic's streams now by its trim policy (publishing also trims, at most once a second). */
  async trim(topic: string): Promise<number> {
    await this.connect();
    const t = this.topicSettings(topic);
    if (!t?.trim) return 0;
    let n = 0;
    for (const stream of this.names.streams(topic, t.partitions))
      n += await trimStream(this.command, stream, t.trim);
    this.stats.trimmed += n;
    return n;
  }

  /**
   * Graceful shutdown (see {@link Transport.close}). A second call returns the first one's promise, so
   * it also resolves only once the transport is closed.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closeRun ??= this.shutdown(options.timeoutMs ?? 10_000);
    return this.closeRun;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    if (this.closed) return; // aborted already
    this.closed = true;
    this.cell.set({ status: "closing" });
    await Promise.all([...this.subscriptions].map((s) => s.close({ timeoutMs })));
    await this.publisher.close(timeoutMs);
    this.stats.trimmed += this.trimmer.trimmed;
    // QUIT only on a live connection: queued behind a reconnect it would wait for a server that may
    // never come back; and bounded, for a server that goes silent meanwhile.
    if (this.command.status !== "ready" || !(await drainWithin([this.command.quit()], QUIT_TIMEOUT_MS)))
      this.command.disconnect();
    this.cell.set({ status: "closed" });
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.publisher.connectFailed(new Error("the transport was aborted before it connected"));
    for (const s of this.subscriptions) s.abort();
    this.subscriptions.clear();
    this.command.disconnect();
    this.cell.set({ status: "closed" });
  }
}

/** Create a Redis Streams transport (validates options; connects lazily or on `connect()`). */
export function createRedisTransport(options: RedisTransportOptions = {}): RedisTransport {
  return new RedisTransport(options);
}

/**
 * Publishes on a confirm channel and resolves only on the broker's ack. A bounded window of
 * unconfirmed messages gives backpressure (publish waits when it is full, and while the socket's
 * buffer drains). `mandatory` is always on: a basic.return rejects the caller with `UnroutableError`.
 * While disconnected, a publish waits (bounded in count and time) and is sent on the next connection;
 * a publish whose channel died before its confirm is sent again there. Never resolves without a confirm.
 */
import type { ConfirmChannel, Message as AmqpMessage, Options } from "amqplib";
import type { Logger } from "pino";
import {
  ClosedError,
  ConnectionClosedError,
  MqaError,
  PublishRejectedError,
  PublishTimeoutError,
  UnroutableError,
  summarizeError,
} from "../../core/errors.js";
import { Deadline, DeadlineSweep } from "../deadlines.js";
import { drainWithin } from "../drain.js";
import { InFlight } from "../in-flight.js";
import { closeQuietly } from "./close-quietly.js";
import { type SizeRefusal, messageTooLarge, refusedBy, sizeRefusalOf } from "./message-size.js";
import { assertPublishNames } from "./name-limits.js";
import { NOT_FOUND, replyCodeOf } from "./reply-code.js";
import type { ConnectionManager, LiveConnection } from "./connection-manager.js";

/** One message handed to the publisher. */
export interface PublishRequest {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  /** `messageId` must be set: returns are matched on it. */
  readonly properties: Options.Publish & { messageId: string };
  readonly timeoutMs?: number;
}

interface Pending {
  readonly request: PublishRequest;
  returned: boolean;
}

interface OpenChannel {
  readonly channel: ConfirmChannel;
  readonly generation: number;
  /** Messages sent on this channel and not yet confirmed, in publish order. */
  readonly inflight: Set<Pending>;
  closed: boolean;
  /** The socket buffer is full (publish returned false); wait for 'drain' before writing more. */
  draining: boolean;
  /** Why the broker closed the channel, if it did: its message and AMQP reply code. */
  closeReason: { readonly message: string; readonly code: number | undefined } | undefined;
  /** The broker closed the channel because a message was over its `max_message_size`. */
  sizeRefusal: SizeRefusal | undefined;
}

/** Counters for diagnostics and tests. */
export interface PublisherStats {
  confirmed: number;
  /** Messages sent again because their channel died before the confirm. */
  resent: number;
  rejected: number;
  /** Refused for their size: before sending (`maxMessageBytes`, or the broker's limit once known) or by the broker. */
  tooLarge: number;
}

/** Confirmed, mandatory, persistent publishing with a bounded window. */
export class ConfirmPublisher {
  private open: OpenChannel | undefined;
  private opening: Promise<OpenChannel> | undefined;
  /** Each returns false when its publish stopped waiting already (so the wake-up goes to the next). */
  private slotWaiters: (() => boolean)[] = [];
  /** Window slots taken: messages sent (or about to be) and not yet confirmed. */
  private readonly window = new InFlight();
  private waitingForConnection = 0;
  private closed = false;
  private closing = false;
  /** Publishes not yet settled (their deadlines are in the sweep). */
  private readonly unfinished = new InFlight();
  /**
   * One timer for all publish deadlines instead of a timer, AbortSignal and listener per message
   * (the largest share of mqa's CPU per publish in the profiles, docs/performance.md).
   */
  private readonly deadlines = new DeadlineSweep<Deadline>((d) =>
    d.abort(
      this.closing ? new ClosedError("the publisher was closed") : new Error("publish deadline passed"),
    ),
  );
  readonly stats: PublisherStats = { confirmed: 0, resent: 0, rejected: 0, tooLarge: 0 };
  /** The broker's `max_message_size`, once a refusal told it. */
  private brokerMaxBytes: number | undefined;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly options: {
      maxUnconfirmed: number;
      publishTimeoutMs: number;
      maxBufferedPublishes: number;
      maxMessageBytes: number;
    },
    private readonly log: Logger,
  ) {
    connections.on("lost", () => this.channelLost(undefined));
  }

  /** Publish and wait for the broker's confirm. Rejects with an {@link MqaError}. */
  async publish(request: PublishRequest): Promise<void> {
    if (this.closed) throw new ClosedError("the publisher is closed; create a new transport");
    this.check(request);
    const timeoutMs = request.timeoutMs ?? this.options.publishTimeoutMs;
    const deadline = new Deadline(Date.now() + timeoutMs);
    this.deadlines.add(deadline, timeoutMs);
    this.unfinished.begin();
    try {
      let sentOnce = false;
      for (;;) {
        // The usual case costs no extra await: a channel is open and the window has room.
        let open = this.open;
        try {
          if (!open || open.closed) open = await this.channel(deadline, timeoutMs);
          if (deadline.aborted) throw deadline.reason; // never send a publish whose caller was told it failed
          if (!this.takeSlot(open)) await this.acquireSlot(deadline, open);
        } catch (err) {
          throw this.failure(err, request, timeoutMs, sentOnce);
        }
        let outcome: Awaited<ReturnType<ConfirmPublisher["sendAndConfirm"]>>;
        try {
          outcome = await this.sendAndConfirm(open, request, deadline, sentOnce);
        } finally {
          this.releaseSlot();
        }
        if (outcome === "confirmed") {
          this.stats.confirmed++;
          return;
        }
        if (outcome instanceof Error) {
          this.stats.rejected++;
          throw outcome;
        }
        // Written but not confirmed: maybe stored. Send again on the next channel (at-least-once).
        if (outcome === "channel-lost") sentOnce = true;
        if (deadline.aborted) throw this.failure(deadline.reason, request, timeoutMs, sentOnce);
      }
    } finally {
      deadline.finish();
      // Nothing left to expire: drop the sweep's timer so an idle publisher keeps no process alive.
      if (this.unfinished.end()) this.deadlines.clear();
    }
  }

  /**
   * Throw at once for a message the broker cannot take: an exchange or routing key over 255 bytes
   * (`invalid-options`), a body over `maxMessageBytes` or the broker's own limit once a refusal told it
   * (`message-too-large`). `publish` does this first; callers may do it before waiting for a connection.
   */
  check(request: Pick<PublishRequest, "exchange" | "routingKey" | "content" | "properties">): void {
    assertPublishNames(request.exchange, request.routingKey);
    const bytes = request.content.length;
    const broker = this.brokerMaxBytes;
    const source = broker !== undefined && broker < this.options.maxMessageBytes ? "broker" : "option";
    const limit = source === "broker" ? broker! : this.options.maxMessageBytes;
    if (bytes <= limit) return;
    this.stats.tooLarge++;
    throw messageTooLarge(bytes, limit, source, this.where(request));
  }

  private where(request: Pick<PublishRequest, "exchange" | "routingKey" | "properties">): {
    exchange: string;
    routingKey: string;
    messageId: string;
  } {
    return {
      exchange: request.exchange,
      routingKey: request.routingKey,
      messageId: request.properties.messageId,
    };
  }

  /** Take a window slot if one is free right now (no waiting). */
  private takeSlot(open: OpenChannel): boolean {
    if (this.window.size >= this.options.maxUnconfirmed || (open.draining && !open.closed)) return false;
    this.window.begin();
    return true;
  }

  private failure(err: unknown, request: PublishRequest, timeoutMs: number, sent: boolean): MqaError {
    if (err instanceof MqaError) return err;
    if (this.closing) return new ClosedError("the publisher was closed before the broker confirmed");
    const where = `to exchange '${request.exchange}' (routing key '${request.routingKey}')`;
    return new PublishTimeoutError(
      `publish ${where} not confirmed within ${timeoutMs} ms` +
        (sent ? "; it may or may not be stored (its id allows deduplication)" : "; it was never sent") +
        ". Raise publishTimeoutMs or check the broker's health and alarms",
      { cause: err, details: { exchange: request.exchange, messageId: request.properties.messageId, sent } },
    );
  }

  /** The confirm channel of the current connection, opening one (and waiting for a connection) as needed. */
  private async channel(deadline: Deadline, timeoutMs: number): Promise<OpenChannel> {
    if (this.open && !this.open.closed) return this.open;
    if (this.waitingForConnection >= this.options.maxBufferedPublishes && !this.connections.connection) {
      throw new ConnectionClosedError(
        `RabbitMQ is unreachable and ${this.waitingForConnection} publishes are already waiting ` +
          "(maxBufferedPublishes); retry later or raise maxBufferedPublishes",
      );
    }
    this.waitingForConnection++;
    try {
      for (;;) {
        if (deadline.aborted) throw deadline.reason;
        const live = await this.connections.waitReady(timeoutMs, deadline.signal);
        this.opening ??= this.openChannel(live).finally(() => (this.opening = undefined));
        try {
          const open = await this.opening;
          if (!open.closed) return open;
        } catch (err) {
          this.log.warn({ err: summarizeError(err).message }, "amqp: opening the confirm channel failed");
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      this.waitingForConnection--;
    }
  }

  private async openChannel(live: LiveConnection): Promise<OpenChannel> {
    const channel = await live.model.createConfirmChannel();
    const open: OpenChannel = {
      channel,
      generation: live.generation,
      inflight: new Set(),
      closed: false,
      draining: false,
      closeReason: undefined,
      sizeRefusal: undefined,
    };
    channel.on("return", (msg: AmqpMessage) => {
      const id = msg.properties.messageId as string | undefined;
      // Returns precede the ack of the same message, so the oldest unconfirmed one with this id is it.
      for (const p of open.inflight) {
        if (!p.returned && p.request.properties.messageId === id) {
          p.returned = true;
          break;
        }
      }
    });
    channel.on("error", (err: Error) => {
      open.closeReason = { message: err.message, code: replyCodeOf(err) };
      open.sizeRefusal = sizeRefusalOf(open.closeReason);
      if (open.sizeRefusal) {
        // Remembered, so later messages over it are refused before they cost the channel again.
        this.brokerMaxBytes = Math.min(this.brokerMaxBytes ?? Infinity, open.sizeRefusal.max);
        this.log.warn(
          { size: open.sizeRefusal.size, maxMessageSize: open.sizeRefusal.max },
          "amqp confirm channel closed by the broker: a message was over its max_message_size; " +
            "that message fails, the others are sent again",
        );
      } else this.log.warn({ err: err.message }, "amqp confirm channel closed by the broker");
    });
    // Ahead of amqplib's own 'close' listener, which fails every unconfirmed publish: their callbacks then
    // see the channel closed, which is how a lost channel is told from a nack (both are plain Errors).
    channel.prependListener("close", () => {
      open.closed = true;
    });
    channel.on("close", () => this.channelLost(open));
    channel.on("drain", () => {
      open.draining = false;
      this.wakeAll();
    });
    this.open = open;
    return open;
  }

  private channelLost(which: OpenChannel | undefined): void {
    const open = which ?? this.open;
    if (!open) return;
    open.closed = true;
    if (this.open === open) this.open = undefined;
    this.wakeAll();
  }

  private sendAndConfirm(
    open: OpenChannel,
    request: PublishRequest,
    deadline: Deadline,
    isResend: boolean,
  ): Promise<"confirmed" | "channel-lost" | "not-sent" | MqaError> {
    if (open.closed) return Promise.resolve("not-sent");
    return new Promise((resolve) => {
      const pending: Pending = { request, returned: false };
      let settled = false;
      const settle = (outcome: "confirmed" | "channel-lost" | "not-sent" | MqaError): void => {
        if (settled) return;
        settled = true;
        open.inflight.delete(pending);
        deadline.onAbort(undefined);
        resolve(outcome);
      };
      open.inflight.add(pending);
      deadline.onAbort(() => settle("channel-lost"));
      try {
        const flushed = open.channel.publish(
          request.exchange,
          request.routingKey,
          request.content,
          { ...request.properties, persistent: true, mandatory: true },
          (err: unknown) => {
            if (err === null || err === undefined) {
              settle(pending.returned ? this.unroutable(request) : "confirmed");
            } else if (this.missingExchange(open, request)) {
              settle(this.noExchange(request));
            } else if (open.sizeRefusal && refusedBy(open.sizeRefusal, request.content.length)) {
              // Sending it again would close the next channel too, and fail its neighbours with it.
              this.stats.tooLarge++;
              settle(
                messageTooLarge(request.content.length, open.sizeRefusal.max, "broker", this.where(request)),
              );
            } else if (open.closed) {
              settle("channel-lost");
            } else {
              settle(
                new PublishRejectedError(
                  `RabbitMQ refused the message for exchange '${request.exchange}' (negative ack): ` +
                    "a queue may be full with overflow reject-publish, or the broker is out of resources",
                  {
                    cause: err,
                    details: { exchange: request.exchange, messageId: request.properties.messageId },
                  },
                ),
              );
            }
          },
        );
        if (!flushed) open.draining = true;
        if (isResend) this.stats.resent++;
      } catch (err) {
        // The channel closed under us: amqplib throws synchronously; the message was not sent.
        this.channelLost(open);
        this.log.debug({ err: summarizeError(err).message }, "amqp publish on a closing channel");
        settle("not-sent");
      }
    });
  }

  /**
   * The broker closed the channel because this message's exchange does not exist: reply code 404, and
   * the exchange its reply text names (the only place the broker says which exchange) is this one's.
   */
  private missingExchange(open: OpenChannel, request: PublishRequest): boolean {
    if (open.closeReason?.code !== NOT_FOUND) return false;
    const m = /no exchange '([^']*)'/.exec(open.closeReason.message);
    return m !== null && m[1] === request.exchange;
  }

  private noExchange(request: PublishRequest): UnroutableError {
    return new UnroutableError(
      `exchange '${request.exchange}' does not exist, so nothing could receive the message; ` +
        "declare a group on this topic before publishing (or, for an exchange of someone else's, check its name)",
      { details: { exchange: request.exchange, messageId: request.properties.messageId } },
    );
  }

  private unroutable(request: PublishRequest): UnroutableError {
    return new UnroutableError(
      `no queue is bound to exchange '${request.exchange}' for routing key '${request.routingKey}', so RabbitMQ ` +
        "returned the message; declare a group on this topic before publishing, or publish with a routing key (or " +
        "headers) that one of the exchange's bindings takes",
      {
        details: {
          exchange: request.exchange,
          routingKey: request.routingKey,
          messageId: request.properties.messageId,
        },
      },
    );
  }

  /** Wait until fewer than `maxUnconfirmed` messages are in flight. */
  private async acquireSlot(deadline: Deadline, open: OpenChannel): Promise<void> {
    while (this.window.size >= this.options.maxUnconfirmed || (open.draining && !open.closed)) {
      if (deadline.aborted) throw deadline.reason;
      await new Promise<void>((resolve) => {
        let waiting = true;
        const wake = (): boolean => {
          if (!waiting) return false;
          waiting = false;
          deadline.onAbort(undefined);
          resolve();
          return true;
        };
        this.slotWaiters.push(wake);
        deadline.onAbort(wake);
      });
    }
    if (deadline.aborted) throw deadline.reason;
    this.window.begin();
  }

  private releaseSlot(): void {
    this.window.end();
    // Skip waiters whose deadline already woke them: the freed slot goes to one still waiting.
    for (let w = this.slotWaiters.shift(); w && !w(); w = this.slotWaiters.shift());
  }

  private wakeAll(): void {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const w of waiters) w();
  }

  /** Number of messages sent and not yet confirmed. */
  get inflight(): number {
    return this.window.size;
  }

  /**
   * Wait up to `timeoutMs` for in-flight publishes to settle, then fail the rest and stop. The channel's
   * close is bounded too (a dying connection never answers it).
   */
  async close(timeoutMs: number): Promise<void> {
    if (!(await drainWithin(this.window, timeoutMs)) && timeoutMs > 0)
      this.log.warn({ unconfirmed: this.window.size }, "amqp publisher closing with publishes unconfirmed");
    this.closed = true;
    this.closing = true;
    this.deadlines.expireAll();
    const open = this.open;
    this.open = undefined;
    if (open && !open.closed) await closeQuietly(open.channel);
  }
}

/**
 * Publishes on a confirm channel and resolves only on the broker's ack. A bounded window of
 * unconfirmed messages gives backpressure (publish waits when it is full, and while the socket's
 * buffer drains). `mandatory` is always on: a basic.return rejects the caller with `UnroutableError`.
 * While disconnected, a publish waits (bounded in count and time) and is sent on the next connection;
 * a publish whose channel died before its confirm is sent again there. Never resolves without a confirm.
 *
 * Per message this costs one promise (the caller's) and one small record: no timer, AbortSignal or
 * listener per publish (docs/performance.md). Publish timeouts are enforced by one {@link DeadlineSweep}
 * per publisher, and waiting publishes sit in a FIFO that confirms, drains and reconnects pump.
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
import { DeadlineSweep, Fifo, type Deadlined } from "../deadlines.js";
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

/** One publish from call to settlement. */
interface Op extends Deadlined {
  readonly request: PublishRequest;
  readonly timeoutMs: number;
  readonly resolve: () => void;
  readonly reject: (err: MqaError) => void;
  /** waiting: queued for a channel or a slot; inflight: written, awaiting the confirm. */
  state: "waiting" | "inflight";
  /** The channel it is in flight on. */
  open: OpenChannel | undefined;
  /** Written at least once (so a timeout may leave it stored). */
  sentOnce: boolean;
  returned: boolean;
}

interface OpenChannel {
  readonly channel: ConfirmChannel;
  readonly generation: number;
  /** Messages sent on this channel and not yet confirmed, in publish order. */
  readonly inflight: Set<Op>;
  closed: boolean;
  /** The socket buffer is full (publish returned false); wait for 'drain' before writing more. */
  draining: boolean;
  /** Why the broker closed the channel, if it did. */
  closeReason: string | undefined;
}

/** Counters for diagnostics and tests. */
export interface PublisherStats {
  confirmed: number;
  /** Messages sent again because their channel died before the confirm. */
  resent: number;
  rejected: number;
}

/** Confirmed, mandatory, persistent publishing with a bounded window. */
export class ConfirmPublisher {
  private open: OpenChannel | undefined;
  /** A loop is waiting for a connection and opening the confirm channel. */
  private opening = false;
  /** Publishes waiting for a channel or a slot, first come first served (finished ones skipped). */
  private readonly waiting = new Fifo<Op>();
  /** Publishes whose channel died before the confirm: sent again before any new one. */
  private resend: Op[] = [];
  /** Live (not yet expired) publishes in `waiting` and `resend`. */
  private queued = 0;
  private inflightCount = 0;
  private closed = false;
  /** Aborted by close(): stops the wait for a connection. */
  private readonly closing = new AbortController();
  private readonly deadlines = new DeadlineSweep<Op>((op) => this.expire(op));
  readonly stats: PublisherStats = { confirmed: 0, resent: 0, rejected: 0 };

  constructor(
    private readonly connections: ConnectionManager,
    private readonly options: {
      maxUnconfirmed: number;
      publishTimeoutMs: number;
      maxBufferedPublishes: number;
    },
    private readonly log: Logger,
  ) {
    connections.on("lost", () => this.channelLost(undefined));
  }

  /** Publish and wait for the broker's confirm. Rejects with an {@link MqaError}. */
  publish(request: PublishRequest): Promise<void> {
    if (this.closed)
      return Promise.reject(new ClosedError("the publisher is closed; create a new transport"));
    const usable = this.open !== undefined && !this.open.closed;
    if (!usable && !this.connections.connection && this.queued >= this.options.maxBufferedPublishes) {
      return Promise.reject(
        new ConnectionClosedError(
          `RabbitMQ is unreachable and ${this.queued} publishes are already waiting ` +
            "(maxBufferedPublishes); retry later or raise maxBufferedPublishes",
        ),
      );
    }
    const timeoutMs = request.timeoutMs ?? this.options.publishTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const op: Op = {
        request,
        timeoutMs,
        deadline: Date.now() + timeoutMs,
        done: false,
        resolve,
        reject,
        state: "waiting",
        open: undefined,
        sentOnce: false,
        returned: false,
      };
      this.deadlines.add(op, timeoutMs);
      const open = this.open;
      // Fast path: nobody is ahead in line and the window has room, so write it now.
      if (this.queued === 0 && open && this.canSend(open)) this.send(op, open);
      else {
        this.waiting.push(op);
        this.queued++;
        this.pump();
      }
    });
  }

  private canSend(open: OpenChannel): boolean {
    return !open.closed && !open.draining && this.inflightCount < this.options.maxUnconfirmed;
  }

  /** Send waiting publishes while the window has room; open a channel when there is none. */
  private pump(): void {
    if (this.queued === 0) return;
    const open = this.open;
    if (!open || open.closed) {
      this.ensureChannel();
      return;
    }
    while (this.queued > 0 && this.canSend(open)) {
      let op: Op | undefined;
      if (this.resend.length > 0) op = this.resend.shift();
      else {
        op = this.waiting.peek();
        if (!op) break;
        this.waiting.pop();
      }
      if (!op || op.done) continue; // expired while waiting: already rejected, never sent late
      this.queued--;
      this.send(op, open);
    }
  }

  private ensureChannel(): void {
    if (this.opening || this.closed) return;
    this.opening = true;
    void this.openLoop().finally(() => {
      this.opening = false;
      this.pump();
    });
  }

  /** Wait for a connection and open the confirm channel, while publishes are waiting for it. */
  private async openLoop(): Promise<void> {
    while (this.queued > 0 && !this.closed) {
      let live: LiveConnection;
      try {
        live = await this.connections.waitReady(this.options.publishTimeoutMs, this.closing.signal);
      } catch (err) {
        const status = this.connections.state.status;
        if (status === "closing" || status === "closed") {
          // The connection was closed for good: nothing waiting can ever be sent.
          this.failAllQueued(
            err instanceof MqaError ? err : new ConnectionClosedError("the amqp connection is closed"),
          );
          return;
        }
        continue; // waited one timeout's length; publishes expire on their own deadlines
      }
      try {
        const open = await this.openChannel(live);
        if (!open.closed) return;
      } catch (err) {
        this.log.warn({ err: summarizeError(err).message }, "amqp: opening the confirm channel failed");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private failAllQueued(err: MqaError): void {
    const ops = [...this.resend];
    this.resend = [];
    for (let op = this.waiting.peek(); op; op = this.waiting.peek()) {
      this.waiting.pop();
      ops.push(op);
    }
    for (const op of ops) {
      if (op.done) continue;
      this.queued--;
      op.done = true;
      op.reject(err);
    }
  }

  /** The deadline passed (or the publisher closed): fail the publish wherever it is. */
  private expire(op: Op): void {
    op.done = true;
    const sent = op.sentOnce || op.state === "inflight";
    if (op.state === "inflight") {
      op.open?.inflight.delete(op);
      op.open = undefined;
      this.inflightCount--;
    } else {
      this.queued--;
    }
    op.reject(this.failure(op.request, op.timeoutMs, sent));
    if (!this.closed) this.pump();
  }

  private failure(request: PublishRequest, timeoutMs: number, sent: boolean): MqaError {
    if (this.closing.signal.aborted)
      return new ClosedError("the publisher was closed before the broker confirmed");
    const where = `to exchange '${request.exchange}' (routing key '${request.routingKey}')`;
    return new PublishTimeoutError(
      `publish ${where} not confirmed within ${timeoutMs} ms` +
        (sent ? "; it may or may not be stored (its id allows deduplication)" : "; it was never sent") +
        (this.connections.connection ? "" : " (RabbitMQ was unreachable)") +
        ". Raise publishTimeoutMs or check the broker's health and alarms",
      { details: { exchange: request.exchange, messageId: request.properties.messageId, sent } },
    );
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
      open.closeReason = err.message;
      this.log.warn({ err: err.message }, "amqp confirm channel closed by the broker");
    });
    // amqplib fails the pending confirm callbacks (its own 'close' listener runs first) before this runs.
    channel.on("close", () => this.channelLost(open));
    channel.on("drain", () => {
      open.draining = false;
      this.pump();
    });
    this.open = open;
    return open;
  }

  /** The channel (or the whole connection) is gone: what was in flight on it is sent again. */
  private channelLost(which: OpenChannel | undefined): void {
    const open = which ?? this.open;
    if (!open) return;
    open.closed = true;
    if (this.open === open) this.open = undefined;
    for (const op of open.inflight) this.requeue(op);
    open.inflight.clear();
    this.pump();
  }

  /** Written but not confirmed: maybe stored. Send again on the next channel (at-least-once). */
  private requeue(op: Op): void {
    this.inflightCount--;
    op.open = undefined;
    op.state = "waiting";
    op.sentOnce = true;
    this.resend.push(op);
    this.queued++;
  }

  private send(op: Op, open: OpenChannel): void {
    const request = op.request;
    op.state = "inflight";
    op.open = open;
    op.returned = false;
    this.inflightCount++;
    open.inflight.add(op);
    try {
      const flushed = open.channel.publish(
        request.exchange,
        request.routingKey,
        request.content,
        { ...request.properties, persistent: true, mandatory: true },
        (err: unknown) => this.confirmed(op, open, err),
      );
      if (!flushed) open.draining = true;
      if (op.sentOnce) this.stats.resent++;
    } catch (err) {
      // The channel closed under us: amqplib throws synchronously; the message was not sent.
      open.inflight.delete(op);
      this.inflightCount--;
      op.open = undefined;
      op.state = "waiting";
      this.resend.unshift(op);
      this.queued++;
      this.log.debug({ err: summarizeError(err).message }, "amqp publish on a closing channel");
      this.channelLost(open);
    }
  }

  /** amqplib's confirm callback: ack (err null), nack, or the channel closed. */
  private confirmed(op: Op, open: OpenChannel, err: unknown): void {
    // Expired, or already moved off this channel when it was lost: the outcome is decided.
    if (op.done || op.open !== open) return;
    if (err === null || err === undefined) {
      this.settle(op, open, op.returned ? this.unroutable(op.request) : undefined);
    } else if (this.missingExchange(open, op.request)) {
      this.settle(op, open, this.noExchange(op.request));
    } else if (open.closed || /closed/i.test(summarizeError(err).message)) {
      // Only this message: each one still gets its own verdict (e.g. the one whose exchange is missing).
      open.closed = true;
      if (this.open === open) this.open = undefined;
      open.inflight.delete(op);
      this.requeue(op);
      this.pump();
    } else {
      const request = op.request;
      this.settle(
        op,
        open,
        new PublishRejectedError(
          `RabbitMQ refused the message for exchange '${request.exchange}' (negative ack): ` +
            "a queue may be full with overflow reject-publish, or the broker is out of resources",
          { cause: err, details: { exchange: request.exchange, messageId: request.properties.messageId } },
        ),
      );
    }
  }

  private settle(op: Op, open: OpenChannel, error: MqaError | undefined): void {
    op.done = true;
    op.open = undefined;
    open.inflight.delete(op);
    this.inflightCount--;
    if (error) {
      this.stats.rejected++;
      op.reject(error);
    } else {
      this.stats.confirmed++;
      op.resolve();
    }
    this.pump();
  }

  /** The broker closed the channel because this message's exchange does not exist (404). */
  private missingExchange(open: OpenChannel, request: PublishRequest): boolean {
    const m = /NOT_FOUND - no exchange '([^']*)'/.exec(open.closeReason ?? "");
    return m !== null && m[1] === request.exchange;
  }

  private noExchange(request: PublishRequest): UnroutableError {
    return new UnroutableError(
      `exchange '${request.exchange}' does not exist, so nothing could receive the message; ` +
        "declare a group on this topic before publishing",
      { details: { exchange: request.exchange, messageId: request.properties.messageId } },
    );
  }

  private unroutable(request: PublishRequest): UnroutableError {
    return new UnroutableError(
      `no queue is bound to exchange '${request.exchange}' for routing key '${request.routingKey}', so RabbitMQ ` +
        "returned the message; declare a group on this topic before publishing",
      {
        details: {
          exchange: request.exchange,
          routingKey: request.routingKey,
          messageId: request.properties.messageId,
        },
      },
    );
  }

  /** Number of messages sent and not yet confirmed. */
  get inflight(): number {
    return this.inflightCount;
  }

  /** Wait up to `timeoutMs` for in-flight publishes to settle, then fail the rest and stop. */
  async close(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.inflightCount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    this.closing.abort(new ClosedError("the publisher was closed"));
    this.deadlines.expireAll();
    const open = this.open;
    this.open = undefined;
    if (open && !open.closed) await open.channel.close().catch(() => undefined);
  }
}

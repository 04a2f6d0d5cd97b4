/**
 * One delivery from RabbitMQ, settled through the tracker of the channel it came on. Retries and dead
 * letters are confirmed publishes of a copy (to a delay level, the queue itself, or `mqa.dlx`) followed
 * by an ack of the original, so a crash in between duplicates a message but never loses it.
 */
import type { ConsumeMessage } from "amqplib";
import { Headers, deadLetterHeaders } from "../../core/message.js";
import type { DeadLetterReason, Message, OutgoingMessage } from "../../core/message.js";
import type { Delivery, RetryOptions } from "../../core/transport.js";
import type { ChannelAcks } from "./channel-acks.js";
import { copyWithHeaders } from "./message-mapping.js";
import { DEAD_LETTER_EXCHANGE, delayRoute } from "./topology-plan.js";

/** How a delivery publishes its copies (the transport's confirm publisher). */
export type CopyPublisher = (exchange: string, routingKey: string, message: OutgoingMessage) => Promise<void>;

/** A delivery bound to its channel. */
export class AmqpDelivery implements Delivery {
  private done = false;
  /** The dead-letter reason, when the delivery was rejected for want of a dead-letter queue. */
  discardedAs: string | undefined;

  constructor(
    readonly message: Message,
    readonly group: string,
    /** The queue the delivery came from: retries go back to it, dead letters to `<queue>.dlq`. */
    private readonly queue: string,
    /** The group has mqa's dead-letter queue `<queue>.dlq`. */
    private readonly hasDeadLetterQueue: boolean,
    private readonly raw: ConsumeMessage,
    private readonly acks: ChannelAcks,
    private readonly publishCopy: CopyPublisher,
  ) {}

  get settled(): boolean {
    return this.done;
  }

  /** Claim the single settlement; false if already settled. */
  private claim(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  async ack(): Promise<void> {
    if (this.claim()) this.acks.ack(this.raw);
  }

  async retry(options: RetryOptions = {}): Promise<void> {
    if (!this.claim()) return;
    const next = options.countAttempt === false ? this.message.attempt : this.message.attempt + 1;
    const headers = { ...this.message.headers, ...options.headers, [Headers.attempt]: String(next) };
    const queue = this.queue;
    const route = delayRoute(options.delayMs ?? 0, queue) ?? { exchange: "", routingKey: queue };
    await this.copyThenAck(route.exchange, route.routingKey, copyWithHeaders(this.message, headers));
  }

  async deadLetter(reason: DeadLetterReason): Promise<void> {
    if (!this.claim()) return;
    if (!this.hasDeadLetterQueue) {
      // No queue would take the copy: publishing it would be refused and the message requeued, in a
      // tight loop. Reject it instead; the queue's own dead-letter exchange (if any) gets it.
      this.discardedAs = reason.reason;
      this.acks.discard(this.raw);
      return;
    }
    const headers = deadLetterHeaders(this.message, this.group, reason);
    await this.copyThenAck(DEAD_LETTER_EXCHANGE, this.queue, copyWithHeaders(this.message, headers));
  }

  /** Return an unsettled delivery to the broker; quorum queues count it towards the delivery limit. */
  requeue(): void {
    if (this.claim()) this.acks.requeue(this.raw);
  }

  private async copyThenAck(exchange: string, routingKey: string, copy: OutgoingMessage): Promise<void> {
    try {
      await this.publishCopy(exchange, routingKey, copy);
    } catch (err) {
      // The copy is not safely stored: give the original back so it is not lost, and tell the caller.
      this.acks.requeue(this.raw);
      throw err;
    }
    this.acks.ack(this.raw);
  }
}

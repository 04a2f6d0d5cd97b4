/**
 * What a handler and its middleware see for one delivery.
 */
import { watchSettlement } from "./watch-settlement.js";
import type { Logger } from "pino";
import type { Message, OutgoingMessage } from "./message.js";
import type { Delivery, PublishReceipt, Subscription, Transport } from "./transport.js";
import { jsonCodec } from "./codec.js";
import { HandlerTimeoutError } from "./errors.js";

/** Per-delivery context passed through the middleware chain to the handler. */
export class MessageContext<T = unknown> {
  /** The decoded, validated payload; set by the router before the handler runs. */
  payload: T | undefined = undefined;
  /**
   * Aborted when the handler should stop its work: its timeout passed (`handler-timeout`), or the router
   * stopped and ran out of time waiting for it (`closed`; the message goes back to the broker).
   */
  readonly signal: AbortSignal;
  /** Free-form state for middleware (e.g. `retriesExhausted`). */
  readonly state: Record<string, unknown> = {};
  private readonly abortController = new AbortController();
  private settledAsValue: "ack" | "retry" | "dead-letter" | undefined;
  /** The delivery, wrapped so the context knows how it was settled. */
  readonly delivery: Delivery;

  constructor(
    delivery: Delivery,
    readonly subscription: Subscription,
    readonly transport: Transport,
    public logger: Logger,
  ) {
    this.signal = this.abortController.signal;
    this.delivery = watchSettlement(delivery, ({ how }) => {
      if (this.settledAsValue === undefined) this.settledAsValue = how;
    });
  }

  /** How the delivery was settled so far through this context, if at all. */
  get settledAs(): "ack" | "retry" | "dead-letter" | undefined {
    return this.settledAsValue;
  }

  get message(): Message {
    return this.delivery.message;
  }

  /** Correlation id of the conversation: the message's own, or its id when it starts one. */
  get correlationId(): string {
    return this.message.correlationId ?? this.message.id;
  }

  /** Abort `signal` (used by the timeout middleware). */
  abort(reason: Error): void {
    this.abortController.abort(reason);
  }

  /**
   * Publish a follow-up message, carrying this message's correlation id and this message as its cause.
   * `value` is JSON-encoded unless `message.payload` bytes are given.
   */
  publish(topic: string, value: unknown, message: Partial<OutgoingMessage> = {}): Promise<PublishReceipt> {
    return this.transport.publish(topic, {
      ...message,
      payload: message.payload ?? jsonCodec.encode(value),
      contentType: message.contentType ?? jsonCodec.contentType,
      correlationId: message.correlationId ?? this.correlationId,
      causationId: message.causationId ?? this.message.id,
    });
  }
}

/** A step in the chain: takes the context, settles or throws. */
export type Handler<T = unknown> = (ctx: MessageContext<T>) => Promise<void>;

/** Wraps a handler: `(next) => handler`. One concern per middleware. */
export type Middleware = <T>(next: Handler<T>) => Handler<T>;

/**
 * Run `step` for `ctx`, failing it with {@link HandlerTimeoutError} (retryable) after `ms` and aborting
 * `ctx.signal` so a cooperative handler stops its work. The step's promise cannot be cancelled: the timeout
 * frees the delivery (and its prefetch slot), and whatever the step settles later is ignored. `hint` says
 * which setting to change; it ends the error message.
 */
export async function runWithTimeout<T>(
  ctx: MessageContext<T>,
  ms: number,
  hint: string,
  step: () => Promise<void>,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new HandlerTimeoutError(
        `handler for ${ctx.message.topic}/${ctx.delivery.group} took longer than ${ms} ms; ${hint}`,
        { details: { topic: ctx.message.topic, group: ctx.delivery.group, timeoutMs: ms } },
      );
      ctx.abort(err);
      reject(err);
    }, ms);
  });
  try {
    await Promise.race([step(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The router's at-most-once delivery (`Route.delivery: "at-most-once"`): settle first, then handle, never
 * retry. For flows where a duplicate is worse than a loss; see docs/inbox.md for the trade-off.
 */
import type { Logger } from "pino";
import type { Handler, MessageContext } from "./context.js";
import { summarizeError } from "./errors.js";
import type { Route } from "./router.js";
import type { Delivery } from "./transport.js";

/**
 * One delivery of an at-most-once route: settle first (ack), then handle; nothing is retried. A redelivered
 * copy is dropped unhandled: its first delivery may have run already (an ack lost with its connection).
 */
export async function atMostOnce(
  route: Route<unknown>,
  delivery: Delivery,
  chain: Handler<unknown>,
  log: Logger,
  running: Set<MessageContext<unknown>>,
  slots: Slots,
  contextOf: (d: Delivery) => MessageContext<unknown>,
): Promise<void> {
  // Take a handler slot before the ack: until then the delivery holds the transport's prefetch slot.
  await slots.take();
  try {
    await delivery.ack();
    await handleDropping(route, delivery, chain, log, running, contextOf);
  } finally {
    slots.give();
  }
}

/** Handle an acked at-most-once delivery; whatever fails, the message is gone (logged and reported). */
async function handleDropping(
  route: Route<unknown>,
  delivery: Delivery,
  chain: Handler<unknown>,
  log: Logger,
  running: Set<MessageContext<unknown>>,
  contextOf: (d: Delivery) => MessageContext<unknown>,
): Promise<void> {
  const message = delivery.message;
  if (message.attempt > 1) {
    log.warn(
      { messageId: message.id, attempt: message.attempt },
      "at-most-once: redelivered message dropped unhandled (it may have run before)",
    );
    route.onDropped?.(message, { redelivered: true });
    return;
  }
  const ctx = contextOf(delivery);
  running.add(ctx);
  try {
    await chain(ctx);
  } catch (err) {
    log.warn(
      { messageId: message.id, err: summarizeError(err) },
      "at-most-once: handler failed; message dropped (no retry, no dead letter)",
    );
    route.onDropped?.(message, { error: err });
  } finally {
    running.delete(ctx);
  }
}

/** A counting semaphore: at most `size` holders at once, the rest wait in arrival order. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

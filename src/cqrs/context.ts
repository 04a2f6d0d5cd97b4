/**
 * What a command or event handler gets besides its typed payload: the message, its correlation id, the
 * abort signal, and `publish` / `send` for follow-up events and commands that carry the handled message's
 * correlation id and name it as their cause. A thin face over the Router's {@link MessageContext}.
 */
import type { Logger } from "pino";
import type { MessageContext } from "../core/context.js";
import type { Message } from "../core/message.js";
import type { PublishReceipt } from "../core/transport.js";
import type { MessageCatalog, MessageSchemas, PayloadIn } from "./catalog.js";
import { sendMessage, type SendOptions } from "./send.js";

/** Options of a message sent from a handler: its correlation and causation ids are the handled message's. */
export type FollowUpOptions = Omit<SendOptions, "correlationId" | "causationId">;

/** The context of one handled command or event. */
export class CqrsContext<C extends MessageSchemas, E extends MessageSchemas> {
  constructor(
    private readonly catalog: MessageCatalog<C, E>,
    /** The Router's context (delivery, subscription, state), for what this face does not show. */
    readonly raw: MessageContext<unknown>,
  ) {}

  /** The message being handled (id, headers, timestamp, attempt, …). */
  get message(): Message {
    return this.raw.message;
  }

  /** The business transaction: the message's correlation id, or its own id when it started one. */
  get correlationId(): string {
    return this.raw.correlationId;
  }

  /** Aborted when the handler should stop: its timeout passed or the router stopped. */
  get signal(): AbortSignal {
    return this.raw.signal;
  }

  get logger(): Logger {
    return this.raw.logger;
  }

  /** Publish event `name`, caused by the handled message and in its business transaction. */
  publish<N extends keyof E & string>(
    name: N,
    payload: PayloadIn<E, N>,
    options: FollowUpOptions = {},
  ): Promise<PublishReceipt> {
    return sendMessage(this.raw.transport, this.catalog, "event", name, payload, this.followUp(options));
  }

  /** Send command `name`, caused by the handled message and in its business transaction. */
  send<N extends keyof C & string>(
    name: N,
    payload: PayloadIn<C, N>,
    options: FollowUpOptions = {},
  ): Promise<PublishReceipt> {
    return sendMessage(this.raw.transport, this.catalog, "command", name, payload, this.followUp(options));
  }

  private followUp(options: FollowUpOptions): SendOptions {
    return { ...options, correlationId: this.correlationId, causationId: this.message.id };
  }
}

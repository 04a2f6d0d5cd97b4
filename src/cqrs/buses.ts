/**
 * The command bus and the event bus: typed senders over a transport. A command goes to exactly one handler
 * (one consumer group per command); an event goes to every subscriber group. Both check the payload against
 * the catalog before anything reaches the broker.
 */
import type { PublishReceipt, Transport } from "../core/transport.js";
import type { MessageCatalog, MessageSchemas, PayloadIn } from "./catalog.js";
import { sendMessage, type SendOptions } from "./send.js";

/** Sends the catalog's commands. */
export class CommandBus<C extends MessageSchemas, E extends MessageSchemas> {
  constructor(
    readonly transport: Transport,
    readonly catalog: MessageCatalog<C, E>,
  ) {}

  /**
   * Send command `name` to its handler. Resolves once the broker has durably accepted it. The command's
   * group is declared first (once per transport), so a command nobody handles yet waits for its handler.
   * Throws `invalid-payload` for a payload its schema refuses, `invalid-options` for an unknown name.
   */
  send<N extends keyof C & string>(
    name: N,
    payload: PayloadIn<C, N>,
    options: SendOptions = {},
  ): Promise<PublishReceipt> {
    return sendMessage(this.transport, this.catalog, "command", name, payload, options);
  }
}

/** Publishes the catalog's events. */
export class EventBus<C extends MessageSchemas, E extends MessageSchemas> {
  constructor(
    readonly transport: Transport,
    readonly catalog: MessageCatalog<C, E>,
  ) {}

  /**
   * Publish event `name` to every subscriber group. Resolves once the broker has durably accepted it. On
   * RabbitMQ and the embedded broker an event no group subscribes to is refused (`unroutable`); on Redis it
   * stays in the stream (the topic's first group, created later, starts at the beginning and gets it; groups
   * added while others exist start at the end). Throws `invalid-payload` for a payload its schema
   * refuses, `invalid-options` for an unknown name.
   */
  publish<N extends keyof E & string>(
    name: N,
    payload: PayloadIn<E, N>,
    options: SendOptions = {},
  ): Promise<PublishReceipt> {
    return sendMessage(this.transport, this.catalog, "event", name, payload, options);
  }
}

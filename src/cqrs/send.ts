/**
 * The one way a command or an event leaves: checked against the catalog's schema, JSON-encoded, named in its
 * headers, given correlation and causation ids, and published. Shared by the buses and by the handler
 * context, so a message sent from a handler is built exactly like one sent from outside.
 *
 * A command's group is declared before its first send on each transport, so a command nobody handles yet
 * waits in its group (the queue on RabbitMQ, the consumer group on Redis) instead of being refused as
 * unroutable (RabbitMQ, the embedded broker). On Redis the first group of a stream starts at its beginning, so
 * the command would wait anyway; there the declaration only creates that group up front.
 */
import { jsonCodec } from "../core/codec.js";
import { MqaError, UnroutableError } from "../core/errors.js";
import { newMessageId } from "../core/ids.js";
import type { PublishReceipt, Transport } from "../core/transport.js";
import {
  MESSAGE_KIND_HEADER,
  MESSAGE_NAME_HEADER,
  type MessageCatalog,
  type MessageKind,
  type MessageSchemas,
} from "./catalog.js";

/** What a caller may set on a command or event it sends. */
export interface SendOptions {
  /** The message id (the consumers' deduplication key). @defaultValue a new UUID */
  id?: string;
  /** Routing / partition key: messages with the same key keep their order where the broker does. */
  key?: string;
  /** More headers; the kind and name headers are mqa's. */
  headers?: Record<string, string>;
  /** The business transaction this message belongs to. @defaultValue the message's own id (it starts one) */
  correlationId?: string;
  /** The id of the message that caused this one. @defaultValue none */
  causationId?: string;
  /** Reject with `publish-timeout` if the broker has not confirmed within this time. */
  timeoutMs?: number;
}

/** Declarations made per transport (topic → in flight or done), so each command group is declared once. */
const declared = new WeakMap<Transport, Map<string, Promise<void>>>();

/** Connect (idempotent) and declare the group of command topic `topic`, once per transport. */
async function ensureCommandGroup(transport: Transport, topic: string, group: string): Promise<void> {
  let topics = declared.get(transport);
  if (!topics) declared.set(transport, (topics = new Map()));
  let done = topics.get(topic);
  if (!done) {
    done = (async () => {
      await transport.connect();
      await transport.declare({ topic, group, deadLetter: true });
    })();
    topics.set(topic, done);
    done.catch(() => topics.delete(topic)); // try again on the next send
  }
  await done;
}

/** Publish command or event `name` with `payload` through `transport`. */
export async function sendMessage<C extends MessageSchemas, E extends MessageSchemas>(
  transport: Transport,
  catalog: MessageCatalog<C, E>,
  kind: MessageKind,
  name: string,
  payload: unknown,
  options: SendOptions = {},
): Promise<PublishReceipt> {
  catalog.check(kind, name, payload);
  const topic = kind === "command" ? catalog.commandTopic(name) : catalog.eventTopic(name);
  if (kind === "command") await ensureCommandGroup(transport, topic, catalog.commandGroup);
  const id = options.id ?? newMessageId();
  try {
    return await transport.publish(
      topic,
      {
        id,
        ...(options.key === undefined ? {} : { key: options.key }),
        payload: jsonCodec.encode(payload),
        contentType: jsonCodec.contentType,
        headers: { ...options.headers, [MESSAGE_KIND_HEADER]: kind, [MESSAGE_NAME_HEADER]: name },
        correlationId: options.correlationId ?? id,
        ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
      },
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
  } catch (err) {
    if (kind === "event" && MqaError.is(err, "unroutable"))
      throw new UnroutableError(
        `event ${name} (topic ${topic}) has no subscriber group yet, and the ${transport.name} broker keeps ` +
          "no message for groups declared later: start its subscribers first, or declare their groups ahead " +
          "(mqa topology apply, or transport.declare)",
        { cause: err, details: { event: name, topic } },
      );
    throw err;
  }
}

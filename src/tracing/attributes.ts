/**
 * Span names and attributes after the OpenTelemetry semantic conventions for messaging
 * (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/). Only the stable attribute names
 * are used; mqa's own facts go under `mqa.*`.
 */
import type { Message } from "../core/message.js";

/** `messaging.system` for a transport name: the well-known value where the conventions define one. */
export function messagingSystem(transportName: string): string {
  if (transportName === "amqp") return "rabbitmq";
  return transportName;
}

/** Attributes of a producer (`send`) span. */
export function sendAttributes(
  system: string,
  topic: string,
  message: { id?: string; correlationId?: string; payload: Uint8Array },
): Record<string, string | number> {
  const a: Record<string, string | number> = {
    "messaging.system": system,
    "messaging.operation.type": "send",
    "messaging.operation.name": "send",
    "messaging.destination.name": topic,
    "messaging.message.body.size": message.payload.byteLength,
  };
  if (message.id !== undefined) a["messaging.message.id"] = message.id;
  if (message.correlationId !== undefined) a["messaging.message.conversation_id"] = message.correlationId;
  return a;
}

/** Attributes of a consumer (`process`) span. */
export function processAttributes(
  system: string,
  group: string,
  message: Message,
): Record<string, string | number> {
  const a: Record<string, string | number> = {
    "messaging.system": system,
    "messaging.operation.type": "process",
    "messaging.operation.name": "process",
    "messaging.destination.name": message.topic,
    "messaging.consumer.group.name": group,
    "messaging.message.id": message.id,
    "messaging.message.body.size": message.payload.byteLength,
    "mqa.attempt": message.attempt,
  };
  if (message.correlationId !== undefined) a["messaging.message.conversation_id"] = message.correlationId;
  if (message.key !== undefined) a["mqa.message.key"] = message.key;
  return a;
}
